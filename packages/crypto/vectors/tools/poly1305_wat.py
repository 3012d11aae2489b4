# Generates src/primitives/poly1305.wat; then: wat2wasm src/primitives/poly1305.wat -o /tmp/p.wasm and
# base64 it into src/primitives/poly1305-wasm.ts (POLY1305_WASM_BASE64).
# Run: python3 vectors/tools/poly1305_wat.py > src/primitives/poly1305.wat
#
# Emits poly1305.wat: Poly1305 (RFC 8439 §2.5) with 26-bit limbs in i64 arithmetic, the ChaCha20
# block function (RFC 8439 §2.3, original 64-bit-nonce layout), and the per-packet entry points of
# OpenSSH's chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305).
# (32-bit limbs, 20 multiplications per block instead of 25, measured 10-15% slower under V8:
# the carry chain of the message addition lengthens every block's dependency path.)

def block(p):
    L = lambda off: f"(i64.load32_u (i32.add {p} (i32.const {off})))"
    s = []
    s.append(f"(local.set $h0 (i64.add (local.get $h0) (i64.and {L(0)} (i64.const 0x3ffffff))))")
    s.append(f"(local.set $h1 (i64.add (local.get $h1) (i64.and (i64.shr_u {L(3)} (i64.const 2)) (i64.const 0x3ffffff))))")
    s.append(f"(local.set $h2 (i64.add (local.get $h2) (i64.and (i64.shr_u {L(6)} (i64.const 4)) (i64.const 0x3ffffff))))")
    s.append(f"(local.set $h3 (i64.add (local.get $h3) (i64.and (i64.shr_u {L(9)} (i64.const 6)) (i64.const 0x3ffffff))))")
    s.append(f"(local.set $h4 (i64.add (local.get $h4) (i64.or (i64.shr_u {L(12)} (i64.const 8)) (local.get $hibit))))")
    def mul(a, b): return f"(i64.mul (local.get ${a}) (local.get ${b}))"
    def add(*xs):
        e = xs[0]
        for x in xs[1:]: e = f"(i64.add {e} {x})"
        return e
    rows = [
        ("d0", [("h0","r0"),("h1","s4"),("h2","s3"),("h3","s2"),("h4","s1")]),
        ("d1", [("h0","r1"),("h1","r0"),("h2","s4"),("h3","s3"),("h4","s2")]),
        ("d2", [("h0","r2"),("h1","r1"),("h2","r0"),("h3","s4"),("h4","s3")]),
        ("d3", [("h0","r3"),("h1","r2"),("h2","r1"),("h3","r0"),("h4","s4")]),
        ("d4", [("h0","r4"),("h1","r3"),("h2","r2"),("h3","r1"),("h4","r0")]),
    ]
    for d, terms in rows:
        s.append(f"(local.set ${d} {add(*[mul(a,b) for a,b in terms])})")
    M = "(i64.const 0x3ffffff)"
    s.append(f"(local.set $c (i64.shr_u (local.get $d0) (i64.const 26))) (local.set $h0 (i64.and (local.get $d0) {M}))")
    for i in range(1, 5):
        s.append(f"(local.set $d{i} (i64.add (local.get $d{i}) (local.get $c)))")
        s.append(f"(local.set $c (i64.shr_u (local.get $d{i}) (i64.const 26))) (local.set $h{i} (i64.and (local.get $d{i}) {M}))")
    s.append(f"(local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 5))))")
    s.append(f"(local.set $c (i64.shr_u (local.get $h0) (i64.const 26))) (local.set $h0 (i64.and (local.get $h0) {M}))")
    s.append(f"(local.set $h1 (i64.add (local.get $h1) (local.get $c)))")
    return "\n      ".join(s)


# 4-way SIMD for messages of 256 bytes or more: lane j of each i32x4 accumulates blocks 4t + j,
# multiplied by r^4 per 64-byte chunk and, in the last chunk, by r^(4-j), so that the lanes sum
# to the Horner value after those blocks; the scalar loop then takes the remaining blocks.
# Products of 26-bit limbs come from i64x2.extmul_{low,high}_i32x4_u (lanes 0-1 and 2-3).
def mulr(a, out):
    """Scalar (limbs a0..a4) * r (r, s locals) -> out0..out4, reduced to 26-bit limbs (+ carry in limb 1)."""
    rows = [
        [("0","r0"),("1","s4"),("2","s3"),("3","s2"),("4","s1")],
        [("0","r1"),("1","r0"),("2","s4"),("3","s3"),("4","s2")],
        [("0","r2"),("1","r1"),("2","r0"),("3","s4"),("4","s3")],
        [("0","r3"),("1","r2"),("2","r1"),("3","r0"),("4","s4")],
        [("0","r4"),("1","r3"),("2","r2"),("3","r1"),("4","r0")],
    ]
    M = "(i64.const 0x3ffffff)"
    s = []
    for k, terms in enumerate(rows):
        e = None
        for i, rr in terms:
            t = f"(i64.mul (local.get ${a}{i}) (local.get ${rr}))"
            e = t if e is None else f"(i64.add {e} {t})"
        s.append(f"(local.set $d{k} {e})")
    s.append(f"(local.set $c (i64.shr_u (local.get $d0) (i64.const 26))) (local.set ${out}0 (i64.and (local.get $d0) {M}))")
    for i in range(1, 5):
        s.append(f"(local.set $d{i} (i64.add (local.get $d{i}) (local.get $c)))")
        s.append(f"(local.set $c (i64.shr_u (local.get $d{i}) (i64.const 26))) (local.set ${out}{i} (i64.and (local.get $d{i}) {M}))")
    s.append(f"(local.set ${out}0 (i64.add (local.get ${out}0) (i64.mul (local.get $c) (i64.const 5))))")
    s.append(f"(local.set $c (i64.shr_u (local.get ${out}0) (i64.const 26))) (local.set ${out}0 (i64.and (local.get ${out}0) {M}))")
    s.append(f"(local.set ${out}1 (i64.add (local.get ${out}1) (local.get $c)))")
    return "\n      ".join(s)

def simd_part():
    V = lambda n: f"(local.get ${n})"
    def sv(n, e): return f"(local.set ${n} {e})"
    s = []
    s.append(sv("end4", "(i32.add (local.get $m) (i32.and (local.get $len) (i32.const -64)))"))
    s.append(sv("last", "(i32.sub (local.get $end4) (i32.const 64))"))
    for i in range(5): s.append(sv(f"q{i}", f"(local.get $r{i})"))
    s.append(mulr("q", "p2_"))          # r^2
    s.append(mulr("p2_", "p3_"))        # r^3
    s.append(mulr("p3_", "p4_"))        # r^4
    sp = lambda e: f"(i32x4.splat (i32.wrap_i64 {e}))"
    for k in range(5):
        s.append(sv(f"R{k}", sp(f"(local.get $p4_{k})")))
        s.append(sv(f"S{k}", sp(f"(i64.mul (local.get $p4_{k}) (i64.const 5))")))
        lanes = [f"$p4_{k}", f"$p3_{k}", f"$p2_{k}", f"$r{k}"]
        e = sp(f"(local.get {lanes[0]})")
        e5 = sp(f"(i64.mul (local.get {lanes[0]}) (i64.const 5))")
        for j in range(1, 4):
            e = f"(i32x4.replace_lane {j} {e} (i32.wrap_i64 (local.get {lanes[j]})))"
            e5 = f"(i32x4.replace_lane {j} {e5} (i32.wrap_i64 (i64.mul (local.get {lanes[j]}) (i64.const 5))))"
        s.append(sv(f"RF{k}", e))
        s.append(sv(f"SF{k}", e5))
    body = []
    body.append("(if (i32.eq (local.get $m) (local.get $last)) (then " + " ".join(
        sv(f"R{k}", V(f"RF{k}")) + " " + sv(f"S{k}", V(f"SF{k}")) for k in range(5)) + "))")
    for j in range(4): body.append(sv(f"B{j}", f"(v128.load offset={16*j} (local.get $m))"))
    lo = "0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23"
    hi = "8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31"
    body.append(sv("T0", f"(i8x16.shuffle {lo} {V('B0')} {V('B1')})"))
    body.append(sv("T1", f"(i8x16.shuffle {lo} {V('B2')} {V('B3')})"))
    body.append(sv("T2", f"(i8x16.shuffle {hi} {V('B0')} {V('B1')})"))
    body.append(sv("T3", f"(i8x16.shuffle {hi} {V('B2')} {V('B3')})"))
    q_lo = "0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23"
    q_hi = "8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31"
    body.append(sv("W0", f"(i8x16.shuffle {q_lo} {V('T0')} {V('T1')})"))
    body.append(sv("W1", f"(i8x16.shuffle {q_hi} {V('T0')} {V('T1')})"))
    body.append(sv("W2", f"(i8x16.shuffle {q_lo} {V('T2')} {V('T3')})"))
    body.append(sv("W3", f"(i8x16.shuffle {q_hi} {V('T2')} {V('T3')})"))
    M = "(v128.const i32x4 0x3ffffff 0x3ffffff 0x3ffffff 0x3ffffff)"
    add = lambda k, e: sv(f"H{k}", f"(i32x4.add {V(f'H{k}')} {e})")
    body.append(add(0, f"(v128.and {V('W0')} {M})"))
    body.append(add(1, f"(v128.and (v128.or (i32x4.shr_u {V('W0')} (i32.const 26)) (i32x4.shl {V('W1')} (i32.const 6))) {M})"))
    body.append(add(2, f"(v128.and (v128.or (i32x4.shr_u {V('W1')} (i32.const 20)) (i32x4.shl {V('W2')} (i32.const 12))) {M})"))
    body.append(add(3, f"(v128.and (v128.or (i32x4.shr_u {V('W2')} (i32.const 14)) (i32x4.shl {V('W3')} (i32.const 18))) {M})"))
    body.append(add(4, f"(v128.or (i32x4.shr_u {V('W3')} (i32.const 8)) (v128.const i32x4 0x1000000 0x1000000 0x1000000 0x1000000))"))
    rows = [
        [("0","R0"),("1","S4"),("2","S3"),("3","S2"),("4","S1")],
        [("0","R1"),("1","R0"),("2","S4"),("3","S3"),("4","S2")],
        [("0","R2"),("1","R1"),("2","R0"),("3","S4"),("4","S3")],
        [("0","R3"),("1","R2"),("2","R1"),("3","R0"),("4","S4")],
        [("0","R4"),("1","R3"),("2","R2"),("3","R1"),("4","R0")],
    ]
    for half, op in (("L", "i64x2.extmul_low_i32x4_u"), ("U", "i64x2.extmul_high_i32x4_u")):
        for k, terms in enumerate(rows):
            e = None
            for i, rr in terms:
                t = f"({op} {V(f'H{i}')} {V(rr)})"
                e = t if e is None else f"(i64x2.add {e} {t})"
            body.append(sv(f"D{half}{k}", e))
        M64 = "(v128.const i64x2 0x3ffffff 0x3ffffff)"
        d = lambda k: f"D{half}{k}"
        def carry(a, b):
            return [sv("C", f"(i64x2.shr_u {V(d(a))} (i32.const 26))"), sv(d(a), f"(v128.and {V(d(a))} {M64})"),
                    sv(d(b), f"(i64x2.add {V(d(b))} {V('C')})")]
        for k in range(4): body += carry(k, k + 1)
        body.append(sv("C", f"(i64x2.shr_u {V(d(4))} (i32.const 26))"))
        body.append(sv(d(4), f"(v128.and {V(d(4))} {M64})"))
        body.append(sv(d(0), f"(i64x2.add {V(d(0))} (i64x2.add {V('C')} (i64x2.shl {V('C')} (i32.const 2))))"))
        body += carry(0, 1)
    for k in range(5):
        body.append(sv(f"H{k}", f"(i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 {V(f'DL{k}')} {V(f'DU{k}')})"))
    body.append(sv("m", "(i32.add (local.get $m) (i32.const 64))"))
    s.append("(loop $chunks\n        " + "\n        ".join(body) + "\n        (br_if $chunks (i32.lt_u (local.get $m) (local.get $end4))))")
    for k in range(5):
        lanes = [f"(i64.extend_i32_u (i32x4.extract_lane {j} {V(f'H{k}')}))" for j in range(4)]
        s.append(sv(f"h{k}", f"(i64.add (i64.add {lanes[0]} {lanes[1]}) (i64.add {lanes[2]} {lanes[3]}))"))
    return "\n      ".join(s)

SIMD_LOCALS = (" ".join(f"(local ${n} i64)" for n in [f"{p}{i}" for p in ("q", "p2_", "p3_", "p4_") for i in range(5)])
    + " " + " ".join(f"(local ${n} v128)" for n in
        [f"{p}{i}" for p in ("H", "R", "S", "RF", "SF", "DL", "DU") for i in range(5)] + ["B0", "B1", "B2", "B3", "T0", "T1", "T2", "T3", "W0", "W1", "W2", "W3", "C"])
    + " (local $end4 i32) (local $last i32)")

locals = " ".join(f"(local ${n} i64)" for n in "r0 r1 r2 r3 r4 s1 s2 s3 s4 h0 h1 h2 h3 h4 d0 d1 d2 d3 d4 c hibit g0 g1 g2 g3 g4 mask f".split())
M = "(i64.const 0x3ffffff)"

def rotl(e, k): return f"(i32.rotl {e} (i32.const {k}))"
def qr(a, b, c, d):
    x = lambda i: f"(local.get $x{i})"
    st = lambda i, e: f"(local.set $x{i} {e})"
    return " ".join([
        st(a, f"(i32.add {x(a)} {x(b)})"), st(d, rotl(f"(i32.xor {x(d)} {x(a)})", 16)),
        st(c, f"(i32.add {x(c)} {x(d)})"), st(b, rotl(f"(i32.xor {x(b)} {x(c)})", 12)),
        st(a, f"(i32.add {x(a)} {x(b)})"), st(d, rotl(f"(i32.xor {x(d)} {x(a)})", 8)),
        st(c, f"(i32.add {x(c)} {x(d)})"), st(b, rotl(f"(i32.xor {x(b)} {x(c)})", 7)),
    ])

CH_LOCALS = " ".join(f"(local $x{i} i32)" for i in range(16)) + " (local $i i32)"
CONSTS = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]
init = []
for i in range(4): init.append(f"(local.set $x{i} (i32.const {CONSTS[i]}))")
for i in range(8): init.append(f"(local.set $x{i+4} (i32.load offset={4*i} (local.get $key)))")
init.append("(local.set $x12 (local.get $ctr)) (local.set $x13 (i32.const 0))")
init.append("(local.set $x14 (i32.const 0)) (local.set $x15 (local.get $nonce))")
rounds = "\n          ".join([qr(0, 4, 8, 12), qr(1, 5, 9, 13), qr(2, 6, 10, 14), qr(3, 7, 11, 15),
                             qr(0, 5, 10, 15), qr(1, 6, 11, 12), qr(2, 7, 8, 13), qr(3, 4, 9, 14)])
fin = []
for i in range(16):
    if i < 4: orig = f"(i32.const {CONSTS[i]})"
    elif i < 12: orig = f"(i32.load offset={4*(i-4)} (local.get $key))"
    elif i == 12: orig = "(local.get $ctr)"
    elif i == 15: orig = "(local.get $nonce)"
    else: orig = None
    v = f"(local.get $x{i})" if orig is None else f"(i32.add (local.get $x{i}) {orig})"
    fin.append(f"(i32.store offset={4*i} (local.get $out) {v})")

wat = f""";; Generated by vectors/tools/poly1305_wat.py: do not edit by hand.
;; Poly1305 (RFC 8439 §2.5) with 26-bit limbs in i64 arithmetic, the ChaCha20 block function
;; (RFC 8439 §2.3 with the original 64-bit block counter and 64-bit nonce), and the per-packet
;; work of chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305).
;; Memory: 0..31 Poly1305 key (r, s), 32..47 tag, 48..63 last partial block, 64..95 K_2 (payload
;; key), 96..127 K_1 (length key), 128..191 a keystream block, the message from 256 on.
(module
  (memory (export "memory") 1)

  ;; ChaCha20 block: 64 bytes of keystream at $out for the key at $key, block counter $ctr (high
  ;; word 0) and nonce words (0, $nonce) (the nonce's bytes 4..7 read little-endian).
  (func $block (export "block") (param $key i32) (param $ctr i32) (param $nonce i32) (param $out i32)
    {CH_LOCALS}
    {chr(10).join('    ' + x for x in init).strip()}
    (local.set $i (i32.const 10))
    (loop $rounds
          {rounds}
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $rounds (local.get $i)))
    {chr(10).join('    ' + x for x in fin).strip()})

  ;; Poly1305 tag of $len bytes at $m under the key at 0..31, written to 32..47.
  (func $mac (export "mac") (param $m i32) (param $len i32)
    {locals} {SIMD_LOCALS} (local $end i32) (local $rem i32) (local $i i32)
    (local.set $r0 (i64.and (i64.load32_u (i32.const 0)) (i64.const 0x3ffffff)))
    (local.set $r1 (i64.and (i64.shr_u (i64.load32_u (i32.const 3)) (i64.const 2)) (i64.const 0x3ffff03)))
    (local.set $r2 (i64.and (i64.shr_u (i64.load32_u (i32.const 6)) (i64.const 4)) (i64.const 0x3ffc0ff)))
    (local.set $r3 (i64.and (i64.shr_u (i64.load32_u (i32.const 9)) (i64.const 6)) (i64.const 0x3f03fff)))
    (local.set $r4 (i64.and (i64.shr_u (i64.load32_u (i32.const 12)) (i64.const 8)) (i64.const 0x00fffff)))
    (local.set $s1 (i64.mul (local.get $r1) (i64.const 5)))
    (local.set $s2 (i64.mul (local.get $r2) (i64.const 5)))
    (local.set $s3 (i64.mul (local.get $r3) (i64.const 5)))
    (local.set $s4 (i64.mul (local.get $r4) (i64.const 5)))
    (local.set $hibit (i64.const 0x1000000))
    (local.set $end (i32.add (local.get $m) (i32.and (local.get $len) (i32.const -16))))
    (if (i32.ge_u (local.get $len) (i32.const 256))
      (then
      {simd_part()}))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_u (local.get $m) (local.get $end)))
      {block("(local.get $m)")}
        (local.set $m (i32.add (local.get $m) (i32.const 16)))
        (br $blocks)))
    (local.set $rem (i32.and (local.get $len) (i32.const 15)))
    (if (local.get $rem)
      (then
        (i64.store (i32.const 48) (i64.const 0))
        (i64.store (i32.const 56) (i64.const 0))
        (local.set $i (i32.const 0))
        (block $cdone
          (loop $copy
            (br_if $cdone (i32.ge_u (local.get $i) (local.get $rem)))
            (i32.store8 (i32.add (i32.const 48) (local.get $i)) (i32.load8_u (i32.add (local.get $m) (local.get $i))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $copy)))
        (i32.store8 (i32.add (i32.const 48) (local.get $rem)) (i32.const 1))
        (local.set $hibit (i64.const 0))
      {block("(i32.const 48)")}))
    ;; full carry
    (local.set $c (i64.shr_u (local.get $h1) (i64.const 26))) (local.set $h1 (i64.and (local.get $h1) {M}))
    (local.set $h2 (i64.add (local.get $h2) (local.get $c))) (local.set $c (i64.shr_u (local.get $h2) (i64.const 26))) (local.set $h2 (i64.and (local.get $h2) {M}))
    (local.set $h3 (i64.add (local.get $h3) (local.get $c))) (local.set $c (i64.shr_u (local.get $h3) (i64.const 26))) (local.set $h3 (i64.and (local.get $h3) {M}))
    (local.set $h4 (i64.add (local.get $h4) (local.get $c))) (local.set $c (i64.shr_u (local.get $h4) (i64.const 26))) (local.set $h4 (i64.and (local.get $h4) {M}))
    (local.set $h0 (i64.add (local.get $h0) (i64.mul (local.get $c) (i64.const 5)))) (local.set $c (i64.shr_u (local.get $h0) (i64.const 26))) (local.set $h0 (i64.and (local.get $h0) {M}))
    (local.set $h1 (i64.add (local.get $h1) (local.get $c)))
    ;; g = h + 5 - 2^130
    (local.set $g0 (i64.add (local.get $h0) (i64.const 5))) (local.set $c (i64.shr_u (local.get $g0) (i64.const 26))) (local.set $g0 (i64.and (local.get $g0) {M}))
    (local.set $g1 (i64.add (local.get $h1) (local.get $c))) (local.set $c (i64.shr_u (local.get $g1) (i64.const 26))) (local.set $g1 (i64.and (local.get $g1) {M}))
    (local.set $g2 (i64.add (local.get $h2) (local.get $c))) (local.set $c (i64.shr_u (local.get $g2) (i64.const 26))) (local.set $g2 (i64.and (local.get $g2) {M}))
    (local.set $g3 (i64.add (local.get $h3) (local.get $c))) (local.set $c (i64.shr_u (local.get $g3) (i64.const 26))) (local.set $g3 (i64.and (local.get $g3) {M}))
    (local.set $g4 (i64.sub (i64.add (local.get $h4) (local.get $c)) (i64.const 0x4000000)))
    ;; mask = all ones when g4 >= 0 (h >= p: take g), else zero (take h)
    (local.set $mask (i64.sub (i64.shr_u (local.get $g4) (i64.const 63)) (i64.const 1)))
    (local.set $h0 (i64.or (i64.and (local.get $h0) (i64.xor (local.get $mask) (i64.const -1))) (i64.and (local.get $g0) (local.get $mask))))
    (local.set $h1 (i64.or (i64.and (local.get $h1) (i64.xor (local.get $mask) (i64.const -1))) (i64.and (local.get $g1) (local.get $mask))))
    (local.set $h2 (i64.or (i64.and (local.get $h2) (i64.xor (local.get $mask) (i64.const -1))) (i64.and (local.get $g2) (local.get $mask))))
    (local.set $h3 (i64.or (i64.and (local.get $h3) (i64.xor (local.get $mask) (i64.const -1))) (i64.and (local.get $g3) (local.get $mask))))
    (local.set $h4 (i64.or (i64.and (local.get $h4) (i64.xor (local.get $mask) (i64.const -1))) (i64.and (local.get $g4) (local.get $mask))))
    ;; h mod 2^128 as four 32-bit words
    (local.set $h0 (i64.and (i64.or (local.get $h0) (i64.shl (local.get $h1) (i64.const 26))) (i64.const 0xffffffff)))
    (local.set $h1 (i64.and (i64.or (i64.shr_u (local.get $h1) (i64.const 6)) (i64.shl (local.get $h2) (i64.const 20))) (i64.const 0xffffffff)))
    (local.set $h2 (i64.and (i64.or (i64.shr_u (local.get $h2) (i64.const 12)) (i64.shl (local.get $h3) (i64.const 14))) (i64.const 0xffffffff)))
    (local.set $h3 (i64.and (i64.or (i64.shr_u (local.get $h3) (i64.const 18)) (i64.shl (local.get $h4) (i64.const 8))) (i64.const 0xffffffff)))
    ;; tag = h + s mod 2^128
    (local.set $f (i64.add (local.get $h0) (i64.load32_u (i32.const 16))))
    (i64.store32 (i32.const 32) (local.get $f))
    (local.set $f (i64.add (i64.add (local.get $h1) (i64.load32_u (i32.const 20))) (i64.shr_u (local.get $f) (i64.const 32))))
    (i64.store32 (i32.const 36) (local.get $f))
    (local.set $f (i64.add (i64.add (local.get $h2) (i64.load32_u (i32.const 24))) (i64.shr_u (local.get $f) (i64.const 32))))
    (i64.store32 (i32.const 40) (local.get $f))
    (local.set $f (i64.add (i64.add (local.get $h3) (i64.load32_u (i32.const 28))) (i64.shr_u (local.get $f) (i64.const 32))))
    (i64.store32 (i32.const 44) (local.get $f)))

  ;; The packet length at $m (4 bytes) XORed in place with K_1's keystream for sequence number
  ;; $nonce (byte-swapped: the nonce is the sequence number as a big-endian uint64).
  (func $length (export "length") (param $m i32) (param $nonce i32)
    (call $block (i32.const 96) (i32.const 0) (local.get $nonce) (i32.const 128))
    (i32.store (local.get $m) (i32.xor (i32.load (local.get $m)) (i32.load (i32.const 128)))))

  ;; Sealing: encrypts the length at $m when $aad is 4, then writes the tag of the $len bytes at
  ;; $m (encrypted length and ciphertext) to 32..47, keyed with K_2's block 0.
  (func (export "seal") (param $m i32) (param $len i32) (param $aad i32) (param $nonce i32)
    (if (local.get $aad) (then (call $length (local.get $m) (local.get $nonce))))
    (call $block (i32.const 64) (i32.const 0) (local.get $nonce) (i32.const 0))
    (call $mac (local.get $m) (local.get $len)))

  ;; Opening: 1 when the 16 bytes after the $len bytes at $m are their tag, else 0 (constant time).
  (func (export "open") (param $m i32) (param $len i32) (param $nonce i32) (result i32)
    (local $t i32)
    (call $block (i32.const 64) (i32.const 0) (local.get $nonce) (i32.const 0))
    (call $mac (local.get $m) (local.get $len))
    (local.set $t (i32.add (local.get $m) (local.get $len)))
    (i64.eqz (i64.or
      (i64.xor (i64.load (i32.const 32)) (i64.load (local.get $t)))
      (i64.xor (i64.load (i32.const 40)) (i64.load offset=8 (local.get $t)))))))
"""
print(wat)
