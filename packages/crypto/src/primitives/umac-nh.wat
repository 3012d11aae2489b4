;; UMAC's L1 and L2 hashes (RFC 4418 §5.2-5.4) over a whole message, for up to 4 iterations.
;;
;; Memory: L1 key words (u32, native order) from 0 (up to 268 words); per-iteration results
;; (u64) at 1088; per-iteration POLY keys k64 (u64, set once per key) at 1120; the message from
;; 1152, followed by at least 32 zero bytes (the zero padding of the last block).
;;
;; For each iteration: NH of every 1024-byte block (the last one zero-padded to a multiple of 32
;; bytes, at least 32), plus the block's bit length; one block: the result is that NH value;
;; more: the POLY-64 hash of the NH values (y = 1, then y = k*y + m mod p64 per block, with the
;; RFC's marker step for m >= 2^64 - 2^32). NH runs on 128-bit SIMD: four 32-bit sums at a time,
;; multiplied into two 64-bit lanes (extmul), every sum wrapping modulo 2^64 as NH requires.
(module
  (memory (export "memory") 1)

  ;; x mod p64 for x < 2^64 (< 2 p64).
  (func $reduce (param $x i64) (result i64)
    (select
      (i64.sub (local.get $x) (i64.const -59))
      (local.get $x)
      (i64.ge_u (local.get $x) (i64.const -59))))

  ;; (a + b) mod p64 for a, b < p64: a carry out of 64 bits is worth 2^64 = 59 mod p64.
  (func $addmod (param $a i64) (param $b i64) (result i64)
    (local $s i64)
    (local.set $s (i64.add (local.get $a) (local.get $b)))
    (if (i64.lt_u (local.get $s) (local.get $a))
      (then (local.set $s (i64.add (local.get $s) (i64.const 59)))))
    (call $reduce (local.get $s)))

  ;; k * y mod p64 for k < 2^57 with 25-bit halves (the L2 key mask), y < p64.
  (func $mulmod (param $k i64) (param $y i64) (result i64)
    (local $kh i64) (local $kl i64) (local $yh i64) (local $yl i64) (local $mid i64)
    (local.set $kh (i64.shr_u (local.get $k) (i64.const 32)))
    (local.set $kl (i64.and (local.get $k) (i64.const 0xffffffff)))
    (local.set $yh (i64.shr_u (local.get $y) (i64.const 32)))
    (local.set $yl (i64.and (local.get $y) (i64.const 0xffffffff)))
    ;; k*y = kh*yh*2^64 + (kh*yl + kl*yh)*2^32 + kl*yl, and 2^64 = 59 mod p64.
    (local.set $mid (i64.add (i64.mul (local.get $kh) (local.get $yl)) (i64.mul (local.get $kl) (local.get $yh))))
    (call $addmod
      (call $addmod
        ;; 59*kh*yh + 59*(mid >> 32) < 2^63 + 2^32
        (call $reduce (i64.mul (i64.const 59)
          (i64.add (i64.mul (local.get $kh) (local.get $yh)) (i64.shr_u (local.get $mid) (i64.const 32)))))
        (call $reduce (i64.shl (local.get $mid) (i64.const 32))))
      (i64.mul (local.get $kl) (local.get $yl))))

  ;; POLY step (RFC 4418 §5.3, wordbits 64); exported for its tests.
  (func $poly (export "poly") (param $k i64) (param $y i64) (param $m i64) (result i64)
    (if (i64.ge_u (local.get $m) (i64.const 0xffffffff00000000))
      (then
        (local.set $y (call $addmod (call $mulmod (local.get $k) (local.get $y)) (i64.const -60)))
        (return (call $addmod (call $mulmod (local.get $k) (local.get $y)) (i64.sub (local.get $m) (i64.const 59))))))
    (call $addmod (call $mulmod (local.get $k) (local.get $y)) (local.get $m)))

  ;; NH of the block at $p (length $len, read up to the next multiple of 32, at least 32) with
  ;; the key from $k, plus $len * 8.
  (func $nh (param $p i32) (param $len i32) (param $k i32) (result i64)
    (local $end i32) (local $sum v128) (local $a v128) (local $b v128)
    (local.set $end (i32.add (local.get $p)
      (select
        (i32.and (i32.add (local.get $len) (i32.const 31)) (i32.const -32))
        (i32.const 32)
        (local.get $len))))
    (local.set $sum (v128.const i64x2 0 0))
    (loop $chunk
      (local.set $a (i32x4.add (v128.load (local.get $p)) (v128.load (local.get $k))))
      (local.set $b (i32x4.add (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $k))))
      (local.set $sum (i64x2.add (local.get $sum) (i64x2.extmul_low_i32x4_u (local.get $a) (local.get $b))))
      (local.set $sum (i64x2.add (local.get $sum) (i64x2.extmul_high_i32x4_u (local.get $a) (local.get $b))))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (local.set $k (i32.add (local.get $k) (i32.const 32)))
      (br_if $chunk (i32.lt_u (local.get $p) (local.get $end))))
    (i64.add
      (i64.extend_i32_u (i32.shl (local.get $len) (i32.const 3)))
      (i64.add (i64x2.extract_lane 0 (local.get $sum)) (i64x2.extract_lane 1 (local.get $sum)))))

  (func (export "uhash") (param $len i32) (param $iters i32)
    (local $it i32) (local $off i32) (local $blen i32) (local $y i64) (local $k64 i64)
    (local.set $it (i32.const 0))
    (loop $iter
      ;; One block: the NH value itself.
      (if (i32.le_u (local.get $len) (i32.const 1024))
        (then
          (i64.store (i32.add (i32.const 1088) (i32.shl (local.get $it) (i32.const 3)))
            (call $nh (i32.const 1152) (local.get $len) (i32.shl (local.get $it) (i32.const 4)))))
        (else
          (local.set $k64 (i64.load (i32.add (i32.const 1120) (i32.shl (local.get $it) (i32.const 3)))))
          (local.set $y (i64.const 1))
          (local.set $off (i32.const 0))
          (loop $block
            (local.set $blen (i32.sub (local.get $len) (local.get $off)))
            (if (i32.gt_u (local.get $blen) (i32.const 1024)) (then (local.set $blen (i32.const 1024))))
            (local.set $y (call $poly (local.get $k64) (local.get $y)
              (call $nh (i32.add (i32.const 1152) (local.get $off)) (local.get $blen) (i32.shl (local.get $it) (i32.const 4)))))
            (local.set $off (i32.add (local.get $off) (i32.const 1024)))
            (br_if $block (i32.lt_u (local.get $off) (local.get $len))))
          (i64.store (i32.add (i32.const 1088) (i32.shl (local.get $it) (i32.const 3))) (local.get $y))))
      (local.set $it (i32.add (local.get $it) (i32.const 1)))
      (br_if $iter (i32.lt_u (local.get $it) (local.get $iters))))))
