;; Streamlined NTRU Prime 761: the heavy ring arithmetic of sntrup761.ts in WebAssembly SIMD.
;;
;; p = 761, q = 4591. Written from the specification ("NTRU Prime: round 3", §3): the
;; reciprocals are its constant-time divstep iteration (2p - 1 rounds, the swap taken with masks,
;; never with a branch or a secret-dependent address); products are schoolbook convolutions
;; followed by the reduction modulo x^p - x - 1. Loop bounds depend on the round number only.
;;
;; Rq coefficients are 16-bit lanes kept loosely reduced between rounds: a product a b by a
;; canonical scalar b uses b' = round(2^15 b / q) and q15mulr (Shoup's trick with a rounding high
;; product): t = round(a b' / 2^15) is within 1/2 + |a| 1.6e-5 of a b / q, so |a b - t q| stays
;; below (1/2 + |a| 1.6e-5) q, computed exactly in wrapping 16-bit lanes. A difference of two such
;; products is below 1.18 q whenever |a| < 1.2 q: the bound holds from round to round, and the
;; scalars f[0], g[0] of each round are reduced exactly (for the swap test and for b').
;;
;; Memory (one page), byte offsets:
;;   RQ f, g, v, r: i16[p + 1] at 32, 2080, 4128, 6176 (zero padding around each; v[-1] = 0)
;;   R3 f, g, v, r: i8[p + 1]  at 8224, 10272, 12320, 14368
;;   MUL a: i16, a[0] at 18000 with p + 8 zeros either side; b: i8[p] at 51200
;;   MUL splatted b: v128[p] at 24576; product i32[2p - 1 + 3] at 36864
;;   IN i16[p] at 45056 / IN8 i8[p] at 49152; OUT i16[p] at 47104 / OUT8 i8[p] at 50176
;;   SORT u32[p] at 53248
(module
  (memory (export "memory") 1)

  ;; ---- shared helpers ----

  ;; all-ones when x != 0, else zero
  (func $nonzero_mask (param $x i32) (result i32)
    (i32.shr_s (i32.or (local.get $x) (i32.sub (i32.const 0) (local.get $x))) (i32.const 31)))

  ;; round(2^15 b / q) for |b| < 2^12, by a multiplication (no division instruction)
  (func $shoup (param $b i32) (result i32)
    (i32.shr_s (i32.add (i32.mul (local.get $b) (i32.const 467759)) (i32.const 32768)) (i32.const 16)))

  ;; x modulo q, centered, for |x| < 9 000 000: two Barrett steps
  (func $fq_freeze (param $x i32) (result i32)
    (local.set $x (i32.sub (local.get $x) (i32.mul (i32.const 4591)
      (i32.shr_s (i32.mul (local.get $x) (i32.const 57)) (i32.const 18)))))
    (i32.sub (local.get $x) (i32.mul (i32.const 4591)
      (i32.shr_s (i32.add (i32.mul (local.get $x) (i32.const 29235)) (i32.const 67108864)) (i32.const 27)))))

  ;; clears n bytes at dst
  (func $zero (param $dst i32) (param $n i32)
    (memory.fill (local.get $dst) (i32.const 0) (local.get $n)))

  ;; ---- 1/(3 in) in Rq: IN (i16[p], small) -> OUT (centered) ----
  (func (export "rq_recip3")
    (local $i i32) (local $k i32) (local $delta i32) (local $swap i32)
    (local $f0 i32) (local $g0 i32) (local $t i32) (local $f0s i32) (local $g0s i32)
    (local $lim i32) (local $a i32)
    (local $M v128) (local $F0 v128) (local $G0 v128) (local $F0S v128) (local $G0S v128)
    (local $VQ v128)
    (local $x v128) (local $y v128) (local $X v128) (local $Y v128) (local $u v128)
    (call $zero (i32.const 0) (i32.const 8192))
    ;; f = x^p - x - 1 reversed: f[0] = 1, f[p - 1] = f[p] = -1
    (i32.store16 (i32.const 32) (i32.const 1))
    (i32.store16 (i32.const 1552) (i32.const -1))
    (i32.store16 (i32.const 1554) (i32.const -1))
    ;; g[p - 1 - i] = in[i]
    (local.set $i (i32.const 0))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (i32.const 761)))
      (i32.store16 offset=2080
        (i32.shl (i32.sub (i32.const 760) (local.get $i)) (i32.const 1))
        (i32.load16_s offset=45056 (i32.shl (local.get $i) (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    ;; r[0] = 1/3 mod q = -1530
    (i32.store16 (i32.const 6176) (i32.const -1530))
    (local.set $delta (i32.const 1))
    (local.set $VQ (i16x8.splat (i32.const 4591)))
    (local.set $k (i32.const 0))
    (block $end (loop $round
      (br_if $end (i32.ge_u (local.get $k) (i32.const 1521)))
      (local.set $f0 (call $fq_freeze (i32.load16_s (i32.const 32))))
      (local.set $g0 (call $fq_freeze (i32.load16_s (i32.const 2080))))
      ;; swap when delta > 0 and g[0] != 0
      (local.set $swap (i32.and
        (i32.shr_s (i32.sub (i32.const 0) (local.get $delta)) (i32.const 31))
        (call $nonzero_mask (local.get $g0))))
      (local.set $delta (i32.add (i32.const 1) (i32.xor (local.get $delta)
        (i32.and (local.get $swap) (i32.xor (local.get $delta) (i32.sub (i32.const 0) (local.get $delta)))))))
      (local.set $t (i32.and (local.get $swap) (i32.xor (local.get $f0) (local.get $g0))))
      (local.set $f0 (i32.xor (local.get $f0) (local.get $t)))
      (local.set $g0 (i32.xor (local.get $g0) (local.get $t)))
      (local.set $f0s (call $shoup (local.get $f0)))
      (local.set $g0s (call $shoup (local.get $g0)))
      (local.set $M (i16x8.splat (local.get $swap)))
      (local.set $F0 (i16x8.splat (local.get $f0)))
      (local.set $G0 (i16x8.splat (local.get $g0)))
      (local.set $F0S (i16x8.splat (local.get $f0s)))
      (local.set $G0S (i16x8.splat (local.get $g0s)))
      (i32.store16 (i32.const 32) (local.get $f0))
      ;; f, g: indices 0 ..= min(p, 2p - 2 - k) are still needed; ascending
      ;; f[i+1..] = swapped; g[i..] = f0 g[i+1..] - g0 f[i+1..] (after the swap)
      (local.set $lim (i32.sub (i32.const 1520) (local.get $k)))
      (if (i32.gt_s (local.get $lim) (i32.const 761)) (then (local.set $lim (i32.const 761))))
      (local.set $lim (i32.shl (i32.and (local.get $lim) (i32.const -8)) (i32.const 1)))
      (local.set $a (i32.const 0))
      (loop $fg
        (local.set $x (v128.load offset=2082 (local.get $a)))        ;; g[i+1..i+8]
        (local.set $y (v128.load offset=34 (local.get $a)))          ;; f[i+1..i+8]
        (local.set $X (v128.bitselect (local.get $y) (local.get $x) (local.get $M))) ;; new g
        (local.set $Y (v128.bitselect (local.get $x) (local.get $y) (local.get $M))) ;; new f
        (v128.store offset=34 (local.get $a) (local.get $Y))
        (local.set $u (i16x8.sub
          (i16x8.q15mulr_sat_s (local.get $X) (local.get $F0S))
          (i16x8.q15mulr_sat_s (local.get $Y) (local.get $G0S))))
        (local.set $x (i16x8.sub
          (i16x8.sub (i16x8.mul (local.get $X) (local.get $F0)) (i16x8.mul (local.get $Y) (local.get $G0)))
          (i16x8.mul (local.get $u) (local.get $VQ))))
        (v128.store offset=2080 (local.get $a) (local.get $x))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (br_if $fg (i32.le_u (local.get $a) (local.get $lim))))
      ;; v, r: indices 0 ..= min(p, k + 1) can be nonzero; descending (v shifts up by one)
      (local.set $lim (i32.add (local.get $k) (i32.const 1)))
      (if (i32.gt_s (local.get $lim) (i32.const 761)) (then (local.set $lim (i32.const 761))))
      (local.set $a (i32.shl (i32.and (local.get $lim) (i32.const -8)) (i32.const 1)))
      (loop $vr
        (local.set $x (v128.load offset=6176 (local.get $a)))        ;; r[i..i+7]
        (local.set $y (v128.load offset=4126 (local.get $a)))        ;; v[i-1..i+6]
        (local.set $X (v128.bitselect (local.get $y) (local.get $x) (local.get $M))) ;; new r
        (local.set $Y (v128.bitselect (local.get $x) (local.get $y) (local.get $M))) ;; new v
        (v128.store offset=4128 (local.get $a) (local.get $Y))
        (local.set $u (i16x8.sub
          (i16x8.q15mulr_sat_s (local.get $X) (local.get $F0S))
          (i16x8.q15mulr_sat_s (local.get $Y) (local.get $G0S))))
        (local.set $x (i16x8.sub
          (i16x8.sub (i16x8.mul (local.get $X) (local.get $F0)) (i16x8.mul (local.get $Y) (local.get $G0)))
          (i16x8.mul (local.get $u) (local.get $VQ))))
        (v128.store offset=6176 (local.get $a) (local.get $x))
        (local.set $a (i32.sub (local.get $a) (i32.const 16)))
        (br_if $vr (i32.ge_s (local.get $a) (i32.const 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $round)))
    ;; out[i] = v[p - 1 - i] / f[0], the reciprocal as f[0]^(q - 2) (a public exponent, 4589)
    (local.set $f0 (call $fq_freeze (i32.load16_s (i32.const 32))))
    (local.set $t (i32.const 1))
    (local.set $i (i32.const 12))
    (block $pdone (loop $pow
      (local.set $t (call $fq_freeze (i32.mul (local.get $t) (local.get $t))))
      (if (i32.and (i32.shr_u (i32.const 4589) (local.get $i)) (i32.const 1))
        (then (local.set $t (call $fq_freeze (i32.mul (local.get $t) (local.get $f0))))))
      (br_if $pdone (i32.eqz (local.get $i)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br $pow)))
    (local.set $i (i32.const 0))
    (block $odone (loop $out
      (br_if $odone (i32.ge_u (local.get $i) (i32.const 761)))
      (i32.store16 offset=47104 (i32.shl (local.get $i) (i32.const 1))
        (call $fq_freeze (i32.mul (local.get $t) (call $fq_freeze
          (i32.load16_s offset=4128 (i32.shl (i32.sub (i32.const 760) (local.get $i)) (i32.const 1)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $out))))

  ;; ---- 1/in in R3: IN8 (i8[p], small) -> OUT8; returns 0 when invertible, -1 when not ----
  (func (export "r3_recip") (result i32)
    (local $i i32) (local $k i32) (local $delta i32) (local $swap i32)
    (local $f0 i32) (local $g0 i32) (local $t i32) (local $sign i32)
    (local $lim i32) (local $a i32)
    (local $M v128) (local $T v128) (local $x v128) (local $y v128) (local $X v128) (local $Y v128)
    (call $zero (i32.const 8192) (i32.const 8192))
    (i32.store8 (i32.const 8224) (i32.const 1))
    (i32.store8 (i32.const 8984) (i32.const -1))
    (i32.store8 (i32.const 8985) (i32.const -1))
    (local.set $i (i32.const 0))
    (block $done (loop $copy
      (br_if $done (i32.ge_u (local.get $i) (i32.const 761)))
      (i32.store8 offset=10272 (i32.sub (i32.const 760) (local.get $i)) (i32.load8_s offset=49152 (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $copy)))
    (i32.store8 (i32.const 14368) (i32.const 1))
    (local.set $delta (i32.const 1))
    (local.set $k (i32.const 0))
    (block $end (loop $round
      (br_if $end (i32.ge_u (local.get $k) (i32.const 1521)))
      (local.set $f0 (i32.load8_s (i32.const 8224)))
      (local.set $g0 (i32.load8_s (i32.const 10272)))
      (local.set $swap (i32.and
        (i32.shr_s (i32.sub (i32.const 0) (local.get $delta)) (i32.const 31))
        (call $nonzero_mask (local.get $g0))))
      (local.set $delta (i32.add (i32.const 1) (i32.xor (local.get $delta)
        (i32.and (local.get $swap) (i32.xor (local.get $delta) (i32.sub (i32.const 0) (local.get $delta)))))))
      (local.set $t (i32.and (local.get $swap) (i32.xor (local.get $f0) (local.get $g0))))
      (local.set $f0 (i32.xor (local.get $f0) (local.get $t)))
      (local.set $g0 (i32.xor (local.get $g0) (local.get $t)))
      (local.set $sign (i32.sub (i32.const 0) (i32.mul (local.get $f0) (local.get $g0))))
      ;; T[3 (G + 1) + (F + 1)] = F3(G + sign F), chosen among three constant tables by masks
      (local.set $T (v128.or
        (v128.and (i8x16.splat (i32.shr_s (local.get $sign) (i32.const 31)))
          (v128.const i8x16 0 -1 1 1 0 -1 -1 1 0 0 0 0 0 0 0 0))
        (v128.or
          (v128.and (i8x16.splat (i32.xor (call $nonzero_mask (local.get $sign)) (i32.const -1)))
            (v128.const i8x16 -1 -1 -1 0 0 0 1 1 1 0 0 0 0 0 0 0))
          (v128.and (i8x16.splat (i32.shr_s (i32.sub (i32.const 0) (local.get $sign)) (i32.const 31)))
            (v128.const i8x16 1 -1 0 -1 0 1 0 1 -1 0 0 0 0 0 0 0)))))
      (local.set $M (i8x16.splat (local.get $swap)))
      (i32.store8 (i32.const 8224) (local.get $f0))
      (local.set $lim (i32.sub (i32.const 1520) (local.get $k)))
      (if (i32.gt_s (local.get $lim) (i32.const 761)) (then (local.set $lim (i32.const 761))))
      (local.set $lim (i32.and (local.get $lim) (i32.const -16)))
      (local.set $a (i32.const 0))
      (loop $fg
        (local.set $x (v128.load offset=10273 (local.get $a)))       ;; g[i+1..i+16]
        (local.set $y (v128.load offset=8225 (local.get $a)))        ;; f[i+1..i+16]
        (local.set $X (v128.bitselect (local.get $y) (local.get $x) (local.get $M)))
        (local.set $Y (v128.bitselect (local.get $x) (local.get $y) (local.get $M)))
        (v128.store offset=8225 (local.get $a) (local.get $Y))
        (v128.store offset=10272 (local.get $a)
          (i8x16.swizzle (local.get $T)
            (i8x16.add (i8x16.add (i8x16.add (local.get $X) (local.get $X)) (i8x16.add (local.get $X) (local.get $Y)))
              (v128.const i8x16 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (br_if $fg (i32.le_u (local.get $a) (local.get $lim))))
      (local.set $lim (i32.add (local.get $k) (i32.const 1)))
      (if (i32.gt_s (local.get $lim) (i32.const 761)) (then (local.set $lim (i32.const 761))))
      (local.set $a (i32.and (local.get $lim) (i32.const -16)))
      (loop $vr
        (local.set $x (v128.load offset=14368 (local.get $a)))       ;; r[i..i+15]
        (local.set $y (v128.load offset=12319 (local.get $a)))       ;; v[i-1..i+14]
        (local.set $X (v128.bitselect (local.get $y) (local.get $x) (local.get $M)))
        (local.set $Y (v128.bitselect (local.get $x) (local.get $y) (local.get $M)))
        (v128.store offset=12320 (local.get $a) (local.get $Y))
        (v128.store offset=14368 (local.get $a)
          (i8x16.swizzle (local.get $T)
            (i8x16.add (i8x16.add (i8x16.add (local.get $X) (local.get $X)) (i8x16.add (local.get $X) (local.get $Y)))
              (v128.const i8x16 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4 4))))
        (local.set $a (i32.sub (local.get $a) (i32.const 16)))
        (br_if $vr (i32.ge_s (local.get $a) (i32.const 0))))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br $round)))
    ;; out[i] = f[0] v[p - 1 - i]  (f[0] is 1 or -1 when invertible)
    (local.set $f0 (i32.load8_s (i32.const 8224)))
    (local.set $i (i32.const 0))
    (block $done2 (loop $out
      (br_if $done2 (i32.ge_u (local.get $i) (i32.const 761)))
      (i32.store8 offset=50176 (local.get $i)
        (i32.mul (local.get $f0) (i32.load8_s offset=12320 (i32.sub (i32.const 760) (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $out)))
    (call $nonzero_mask (local.get $delta)))

  ;; ---- a b modulo x^p - x - 1: a i16 (|a| <= 2295) at 18000, b i8 small at 51200 ----
  ;; mode 0: OUT = the product in Rq (centered); 1: the product (of smalls) in R3; 2: the product
;; in Rq, times 3, taken into R3 (the first step of decryption).
  (func (export "mult") (param $mode i32)
    (local $i i32) (local $j i32) (local $k i32) (local $jlo i32) (local $jhi i32) (local $x i32)
    (local $acc0 v128) (local $acc1 v128) (local $w v128) (local $b v128)
    ;; splat b[j] into i16x8 lanes
    (local.set $j (i32.const 0))
    (block $done (loop $splat
      (br_if $done (i32.ge_u (local.get $j) (i32.const 761)))
      (v128.store offset=24576 (i32.shl (local.get $j) (i32.const 4))
        (i16x8.splat (i32.load8_s offset=51200 (local.get $j))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $splat)))
    ;; out[k..k+7] = sum_j a[k-j..k-j+7] b[j], j over the window where a can be nonzero
    (local.set $k (i32.const 0))
    (block $kdone (loop $kloop
      (br_if $kdone (i32.ge_u (local.get $k) (i32.const 1521)))
      (local.set $jlo (i32.sub (local.get $k) (i32.const 760)))
      (if (i32.lt_s (local.get $jlo) (i32.const 0)) (then (local.set $jlo (i32.const 0))))
      (local.set $jhi (i32.add (local.get $k) (i32.const 7)))
      (if (i32.gt_s (local.get $jhi) (i32.const 760)) (then (local.set $jhi (i32.const 760))))
      (local.set $acc0 (v128.const i32x4 0 0 0 0))
      (local.set $acc1 (v128.const i32x4 0 0 0 0))
      (local.set $j (local.get $jlo))
      (loop $jloop
        (local.set $w (v128.load (i32.add (i32.const 18000) (i32.shl (i32.sub (local.get $k) (local.get $j)) (i32.const 1)))))
        (local.set $b (v128.load offset=24576 (i32.shl (local.get $j) (i32.const 4))))
        (local.set $acc0 (i32x4.add (local.get $acc0) (i32x4.extmul_low_i16x8_s (local.get $w) (local.get $b))))
        (local.set $acc1 (i32x4.add (local.get $acc1) (i32x4.extmul_high_i16x8_s (local.get $w) (local.get $b))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $jloop (i32.le_s (local.get $j) (local.get $jhi))))
      (v128.store offset=36864 (i32.shl (local.get $k) (i32.const 2)) (local.get $acc0))
      (v128.store offset=36880 (i32.shl (local.get $k) (i32.const 2)) (local.get $acc1))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br $kloop)))
    ;; x^p = x + 1: out[i - p] += out[i], out[i - p + 1] += out[i] for i in p ..= 2p - 2,
    ;; then reduce each coefficient
    (local.set $i (i32.const 0))
    (block $fdone (loop $fold
      (br_if $fdone (i32.ge_u (local.get $i) (i32.const 761)))
      (local.set $x (i32.load offset=36864 (i32.shl (local.get $i) (i32.const 2))))
      (if (i32.lt_u (local.get $i) (i32.const 760))
        (then (local.set $x (i32.add (local.get $x)
          (i32.load offset=39908 (i32.shl (local.get $i) (i32.const 2)))))))  ;; out[i + p]
      (if (i32.gt_u (local.get $i) (i32.const 0))
        (then (local.set $x (i32.add (local.get $x)
          (i32.load offset=39904 (i32.shl (local.get $i) (i32.const 2)))))))  ;; out[i + p - 1]
      (if (i32.ne (local.get $mode) (i32.const 1))
        (then (local.set $x (call $fq_freeze (local.get $x)))))
      (if (i32.eq (local.get $mode) (i32.const 2))
        (then (local.set $x (call $fq_freeze (i32.mul (local.get $x) (i32.const 3))))))
      (if (local.get $mode)
        (then
          ;; centered modulo 3: x - 3 round(x / 3), |x| < 2^14
          (local.set $x (i32.sub (local.get $x) (i32.mul (i32.const 3)
            (i32.shr_s (i32.add (i32.mul (local.get $x) (i32.const 21845)) (i32.const 32768)) (i32.const 16)))))))
      (i32.store16 offset=47104 (i32.shl (local.get $i) (i32.const 1)) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $fold))))

  ;; ---- constant-time sort of SORT (u32[p]) ascending: a fixed network of compare-exchanges ----
  ;; x[i] <-> x[j] (byte addresses) so that x[i] <= x[j], unsigned, without a branch
  (func $minmax (param $i i32) (param $j i32)
    (local $a i32) (local $b i32) (local $t i32)
    (local.set $a (i32.load (local.get $i)))
    (local.set $b (i32.load (local.get $j)))
    (local.set $t (i32.and (i32.xor (local.get $a) (local.get $b))
      (i32.wrap_i64 (i64.shr_s
        (i64.sub (i64.extend_i32_u (local.get $b)) (i64.extend_i32_u (local.get $a))) (i64.const 63)))))
    (i32.store (local.get $i) (i32.xor (local.get $a) (local.get $t)))
    (i32.store (local.get $j) (i32.xor (local.get $b) (local.get $t))))

  ;; the merging network for n = p (top = 512); every address depends on the indices only
  (func (export "sort")
    (local $p i32) (local $q i32) (local $r i32) (local $i i32)
    (local.set $p (i32.const 512))
    (block $pdone (loop $ploop
      (br_if $pdone (i32.eqz (local.get $p)))
      (local.set $i (i32.const 0))
      (block $d1 (loop $l1
        (br_if $d1 (i32.ge_s (local.get $i) (i32.sub (i32.const 761) (local.get $p))))
        (if (i32.eqz (i32.and (local.get $i) (local.get $p)))
          (then (call $minmax
            (i32.add (i32.const 53248) (i32.shl (local.get $i) (i32.const 2)))
            (i32.add (i32.const 53248) (i32.shl (i32.add (local.get $i) (local.get $p)) (i32.const 2))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l1)))
      (local.set $i (i32.const 0))
      (local.set $q (i32.const 512))
      (block $qdone (loop $qloop
        (br_if $qdone (i32.le_s (local.get $q) (local.get $p)))
        (block $d2 (loop $l2
          (br_if $d2 (i32.ge_s (local.get $i) (i32.sub (i32.const 761) (local.get $q))))
          (if (i32.eqz (i32.and (local.get $i) (local.get $p)))
            (then
              (local.set $r (local.get $q))
              (block $rdone (loop $rloop
                (br_if $rdone (i32.le_s (local.get $r) (local.get $p)))
                (call $minmax
                  (i32.add (i32.const 53248) (i32.shl (i32.add (local.get $i) (local.get $p)) (i32.const 2)))
                  (i32.add (i32.const 53248) (i32.shl (i32.add (local.get $i) (local.get $r)) (i32.const 2))))
                (local.set $r (i32.shr_s (local.get $r) (i32.const 1)))
                (br $rloop)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l2)))
        (local.set $q (i32.shr_s (local.get $q) (i32.const 1)))
        (br $qloop)))
      (local.set $p (i32.shr_s (local.get $p) (i32.const 1)))
      (br $ploop))))
)
