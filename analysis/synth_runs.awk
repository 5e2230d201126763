# Writes a synthetic CSV of runs (docs/csv.md) drawn from the paper's fitted constants
# (Kumar et al. Table 2: N_eff with offsets, unified PTQ term), with log-normal noise.
# usage: awk -v runs=500 -v seed=1 -v noise=0.003 -f synth_runs.awk > runs.csv
function gauss() { return sqrt(-2 * log(1 - rand())) * cos(6.283185307179586 * rand()) }
function fac(P, g, n,   z) { z = P / g - n; return z > 0 ? 1 - exp(-z) : -1 }
function neff(N, pw, pa, pkv,   f) {
    f = fac(pw, 2.6745, 0.3037) * fac(pa, 2.2102, 1.4072) * fac(pkv, 0.9578, 2.4185)
    if (fac(pw, 2.6745, 0.3037) < 0 || fac(pa, 2.2102, 1.4072) < 0 || fac(pkv, 0.9578, 2.4185) < 0) return -1
    return N * f
}
function loss(N, D, pw, pa, pkv,   ne) {
    ne = neff(N, pw, pa, pkv)
    if (ne <= 0) return -1
    return 4299 * ne^-0.4965 + 18060 * D^-0.4965 + 2.7648
}
function delta(N, D, pw, pa, pkv, pp,   ne, d) {
    ne = neff(N, pw, pa, pkv)
    d = 0.0598 * exp(-pp / 0.5907) * D^0.5068 / ne^0.3439
    d *= (pw > pp ? 1 - exp(-1.0 * (pw - pp)) : 0)
    d *= (pa > pp ? 1 - exp(-1.0 * (pa - pp)) : 0)
    d *= (pkv > pp ? 1 - exp(-1.0 * (pkv - pp)) : 0)
    return d
}
function emit(N, D, pw, pa, pkv,   l, b, pp, k, dl, fmt) {
    if (written >= runs) return
    written++
    fmt = (pw < 16 || pa < 16 || pkv < 16) ? "int" : "bf16"
    l = loss(N, D, pw, pa, pkv)
    if (l < 0) { printf "%.0f,%.0f,%g,%g,%g,%s,,,,,,diverged\n", N, D, pw, pa, pkv, fmt; return }
    b = l * exp(noise * gauss())
    printf "%.0f,%.0f,%g,%g,%g,%s,,,%.6f,,,done\n", N, D, pw, pa, pkv, fmt, b
    if (pa < 16 || pkv < 16) return
    for (k = 1; k <= 4; k++) {
        pp = 2 + k
        if (pp >= pw) continue
        dl = delta(N, D, pw, pa, pkv, pp) * exp(10 * noise * gauss())
        printf "%.0f,%.0f,%g,%g,%g,%s,%g,gptq,%.6f,%.6f,,done\n", N, D, pw, pa, pkv, fmt, pp, b + dl, b
    }
}
BEGIN {
    if (runs == "") runs = 500
    if (noise == "") noise = 0.003
    srand(seed == "" ? 1 : seed)
    print "N,D,P_w,P_a,P_kv,format,P_post,method,loss,base_loss,delta,status"
    split("30e6 60e6 110e6 220e6", Ns, " ")
    split("10 20 40 80 120", R, " ")
    split("3 4 5 6 8 10 12", Pw, " ")
    split("3 4 5 6 8 12", Pa, " ")
    nrep = 0
    while (written < runs && nrep < 100) {
        for (i = 1; i <= 4; i++) for (j = 1; j <= 5; j++) {
            N = Ns[i] * (1 + 0.01 * nrep); D = N * R[j]
            emit(N, D, 16, 16, 16)
            for (k = 1; k <= 7; k++) emit(N, D, Pw[k], 16, 16)
            for (k = 1; k <= 6; k++) emit(N, D, 16, Pa[k], 16)
            for (k = 1; k <= 6; k++) emit(N, D, 16, 16, Pa[k])
            for (k = 2; k <= 6; k++) emit(N, D, Pa[k], Pa[k], Pa[k])
        }
        nrep++
    }
}
