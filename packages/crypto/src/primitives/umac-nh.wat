;; UMAC NH (RFC 4418 §5.1) over one zero-padded block, for up to 4 iterations at once.
;; Memory: key words (u32, native order) from 0 (up to 268 words), results (u64 per iteration)
;; at 1088, the block from 1152 (up to 1024 bytes). Sums wrap modulo 2^64 as NH requires.
(module
  (memory (export "memory") 1)
  (func (export "nh") (param $len i32) (param $iters i32) (param $bits i64)
    (local $it i32) (local $sum i64) (local $p i32) (local $k i32) (local $end i32)
    (local.set $end (i32.add (i32.const 1152) (local.get $len)))
    (local.set $it (i32.const 0))
    (block $done
      (loop $iter
        (br_if $done (i32.ge_u (local.get $it) (local.get $iters)))
        (local.set $sum (local.get $bits))
        (local.set $p (i32.const 1152))
        (local.set $k (i32.shl (local.get $it) (i32.const 4)))
        (block $bdone
          (loop $blk
            (br_if $bdone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $sum (i64.add (local.get $sum) (i64.mul
              (i64.extend_i32_u (i32.add (i32.load (local.get $p)) (i32.load (local.get $k))))
              (i64.extend_i32_u (i32.add (i32.load offset=16 (local.get $p)) (i32.load offset=16 (local.get $k)))))))
            (local.set $sum (i64.add (local.get $sum) (i64.mul
              (i64.extend_i32_u (i32.add (i32.load offset=4 (local.get $p)) (i32.load offset=4 (local.get $k))))
              (i64.extend_i32_u (i32.add (i32.load offset=20 (local.get $p)) (i32.load offset=20 (local.get $k)))))))
            (local.set $sum (i64.add (local.get $sum) (i64.mul
              (i64.extend_i32_u (i32.add (i32.load offset=8 (local.get $p)) (i32.load offset=8 (local.get $k))))
              (i64.extend_i32_u (i32.add (i32.load offset=24 (local.get $p)) (i32.load offset=24 (local.get $k)))))))
            (local.set $sum (i64.add (local.get $sum) (i64.mul
              (i64.extend_i32_u (i32.add (i32.load offset=12 (local.get $p)) (i32.load offset=12 (local.get $k))))
              (i64.extend_i32_u (i32.add (i32.load offset=28 (local.get $p)) (i32.load offset=28 (local.get $k)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $k (i32.add (local.get $k) (i32.const 32)))
            (br $blk)))
        (i64.store (i32.add (i32.const 1088) (i32.shl (local.get $it) (i32.const 3))) (local.get $sum))
        (local.set $it (i32.add (local.get $it) (i32.const 1)))
        (br $iter)))))
