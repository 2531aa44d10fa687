//! The statistics behind the drift tests, written to give the same numbers as scipy and numpy
//! (checked against scipy in `tests/scipy_truth.rs`).
//!
//! * [`ks_2samp`]: two-sample Kolmogorov–Smirnov, two-sided, `method='auto'`: exact (Hodges' lattice
//!   path counting) when both samples have at most 10 000 values, else the distribution of the
//!   one-sample statistic with n = round(m·n/(m+n)) ([`kolmogorov_sf`], which follows Simard and
//!   L'Ecuyer's choice of algorithm per region: Ruben–Gambino ends, Smirnov's one-sided series,
//!   Durbin's matrix, Pelz–Good).
//! * [`chi2_sf`], [`norm_cdf`] through the regularised incomplete gamma function.
//! * [`wasserstein`], [`jensen_shannon`], [`entropy`], [`sturges_edges`], [`histogram`].
//!
//! All functions take finite values; callers drop NaN and infinities first.

/// Which p-value regime a KS test used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KsMethod {
    Exact,
    Asymp,
}

/// Result of [`ks_2samp`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ks {
    pub statistic: f64,
    pub pvalue: f64,
    pub method: KsMethod,
}

/// Samples above this size use the asymptotic p-value (scipy's `MAX_AUTO_N`).
pub const KS_MAX_EXACT_N: usize = 10_000;

/// The largest gap between the two empirical CDFs. Both slices must be sorted ascending.
pub fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let (mut max_s, mut min_s) = (f64::NEG_INFINITY, f64::INFINITY);
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) => x.min(y),
            (Some(&x), None) => x,
            (None, Some(&y)) => y,
            (None, None) => break,
        };
        while i < a.len() && a[i] <= v {
            i += 1;
        }
        while j < b.len() && b[j] <= v {
            j += 1;
        }
        let d = i as f64 / n1 - j as f64 / n2;
        max_s = max_s.max(d);
        min_s = min_s.min(d);
    }
    let min_s = (-min_s).clamp(0.0, 1.0);
    if min_s > max_s { min_s } else { max_s }
}

/// Two-sided two-sample KS test as `scipy.stats.ks_2samp(a, b)` (method `auto`). Sorted inputs.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> Ks {
    let d = ks_statistic(a, b);
    let (n1, n2) = (a.len() as u64, b.len() as u64);
    if n1.max(n2) as usize <= KS_MAX_EXACT_N
        && let Some((d_exact, p)) = ks_exact(n1, n2, d)
    {
        return Ks {
            statistic: d_exact,
            pvalue: p.clamp(0.0, 1.0),
            method: KsMethod::Exact,
        };
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round_ties_even();
    Ks {
        statistic: d,
        pvalue: kolmogorov_sf(en as u64, d).clamp(0.0, 1.0),
        method: KsMethod::Asymp,
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The exact p-value, with the statistic rounded onto the lattice; `None` when it cannot be computed.
fn ks_exact(n1: u64, n2: u64, d: f64) -> Option<(f64, f64)> {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) * n2;
    let h = (d * lcm as f64).round_ties_even() as u64;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return Some((d, 1.0));
    }
    let p = if n1 == n2 {
        prob_outside_square(n1, h)
    } else {
        outer_prob_inside(n1, n2, g, h)
    };
    (p.is_finite() && (0.0..=1.0).contains(&p)).then_some((d, p))
}

/// Share of lattice paths for m = n leaving the band |x − y| < h (reflection principle).
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    let (nf, hf) = (n as f64, h as f64);
    while k >= 0 {
        let kf = k as f64;
        let mut p1 = 1.0;
        for j in 0..h {
            let j = j as f64;
            p1 = (nf - kf * hf - j) * p1 / (nf + kf * hf + j + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// 1 − (share of lattice paths staying strictly inside the band), computed column by column over a
/// sliding window so values stay in [0, 1] (Hodges; the "1 − p" recursion of Viehmann).
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = (m / g, n / g);
    let (hi, mgi, ngi) = (h as i64, mg as i64, ng as i64);
    let ni = n as i64;
    let mut minj: i64 = 0;
    let mut maxj: i64 = (div_ceil(hi, mgi)).min(ni + 1);
    let mut curlen = maxj - minj;
    let len_a = ((2 * maxj + 2).min(ni + 1)) as usize;
    let mut a = vec![1.0f64; len_a.max(1)];
    for x in a.iter_mut().take(maxj as usize) {
        *x = 0.0;
    }
    for i in 1..=m as i64 {
        let (last_minj, last_len) = (minj, curlen);
        minj = (div_floor(ngi * i - hi, mgi) + 1).max(0).min(ni);
        maxj = div_ceil(ngi * i + hi, mgi).min(ni + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        let fi = i as f64;
        for jj in 0..(maxj - minj) {
            let j = jj + minj;
            let src = (jj + minj - last_minj) as usize;
            let prev = a.get(src).copied().unwrap_or(1.0);
            val = (prev * fi + val * j as f64) / (fi + j as f64);
            if let Some(slot) = a.get_mut(jj as usize) {
                *slot = val;
            }
        }
        curlen = maxj - minj;
        if last_len > curlen {
            for k in (maxj - minj)..(maxj - minj + (last_len - curlen)) {
                if let Some(slot) = a.get_mut(k as usize) {
                    *slot = 1.0;
                }
            }
        }
    }
    a.get((maxj - minj - 1) as usize)
        .copied()
        .unwrap_or(f64::NAN)
}

fn div_floor(a: i64, b: i64) -> i64 {
    a.div_euclid(b)
}

fn div_ceil(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

const E128: i32 = 128;
fn ep128() -> f64 {
    2f64.powi(E128)
}
fn em128() -> f64 {
    2f64.powi(-E128)
}

/// Survival function of the one-sample two-sided KS statistic D_n (scipy's `kstwo.sf(x, n)`).
pub fn kolmogorov_sf(n: u64, x: f64) -> f64 {
    if n == 0 || x.is_nan() {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        if t <= 0.5 {
            return 1.0;
        }
        let prob = if n <= 140 {
            (1..=n).fold(1.0, |acc, i| {
                acc * (i as f64 * (1.0 / nf) * (2.0 * t - 1.0))
            })
        } else {
            (log_nfact_div_npown(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - prob).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        return (2.0 * (1.0 - x).powf(nf)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        return (2.0 * smirnov(n, x)).clamp(0.0, 1.0);
    }
    let nx2 = t * x;
    if n <= 140 {
        if nx2 <= 4.0 {
            // scipy uses Durbin's matrix below 0.754693 and Pomeranz's recursion up to 4; both are
            // exact, so Durbin's matrix serves the whole range here.
            return (1.0 - durbin_cdf(n, x)).clamp(0.0, 1.0);
        }
        return (2.0 * smirnov(n, x)).clamp(0.0, 1.0);
    }
    if nx2 >= 370.0 {
        return 0.0;
    }
    if nx2 >= 2.2 {
        return (2.0 * smirnov(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_cdf(n, x)
    } else {
        pelz_good_cdf(n, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

fn log_nfact_div_npown(n: f64) -> f64 {
    #[allow(clippy::excessive_precision)]
    const C: [f64; 8] = [
        -2.955065359477124183e-2,
        6.4102564102564102564e-3,
        -1.9175269175269175269e-3,
        8.4175084175084175084e-4,
        -5.952380952380952381e-4,
        7.9365079365079365079e-4,
        -2.7777777777777777778e-3,
        8.3333333333333333333e-2,
    ];
    let rn = 1.0 / n;
    let z = rn / n;
    let poly = C.iter().fold(0.0, |acc, c| acc * z + c);
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * poly
}

/// One-sided Smirnov survival P(D_n⁺ ≥ x), by the Birnbaum–Tingey sum evaluated in logs.
pub fn smirnov(n: u64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x >= 1.0 {
        return 0.0;
    }
    let nf = n as f64;
    let jmax = (nf * (1.0 - x)).floor() as u64;
    let jmax = if ((jmax as f64) / nf + x) >= 1.0 {
        jmax.saturating_sub(1)
    } else {
        jmax
    };
    // term_j = C(n, j) (x + j/n)^(j-1) (1 - x - j/n)^(n-j); result = x Σ term_j.
    let ln_fact_n = ln_factorial(n);
    let mut sum = 0.0;
    let mut max_log = f64::NEG_INFINITY;
    let mut logs = Vec::with_capacity(jmax as usize + 1);
    for j in 0..=jmax {
        let jf = j as f64;
        let p = x + jf / nf;
        let q = 1.0 - p;
        if q <= 0.0 {
            continue;
        }
        let lc = ln_fact_n - ln_factorial(j) - ln_factorial(n - j);
        let l = lc + (jf - 1.0) * p.ln() + (nf - jf) * q.ln();
        max_log = max_log.max(l);
        logs.push(l);
    }
    for l in &logs {
        sum += (l - max_log).exp();
    }
    (x.ln() + max_log + sum.ln()).exp().clamp(0.0, 1.0)
}

fn ln_factorial(n: u64) -> f64 {
    ln_gamma(n as f64 + 1.0)
}

/// P(D_n ≤ d) by Durbin's matrix method (Marsaglia–Tsang–Wang), with exponent bookkeeping.
pub fn durbin_cdf(n: u64, d: f64) -> f64 {
    if d >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let nd = nf * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut hm = vec![0.0f64; m * m];
    let mut v = vec![0.0f64; m];
    let mut w = vec![0.0f64; m];
    let mut fac = 1.0f64;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] = (1.0 - h.powi(j as i32)) * fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let mut pw = vec![0.0f64; m * m];
    for i in 0..m {
        pw[i * m + i] = 1.0;
    }
    let mut nn = n;
    let mut expnt: i64 = 0;
    let mut h_expnt: i64 = 0;
    while nn > 0 {
        if nn % 2 == 1 {
            pw = matmul(&pw, &hm, m);
            expnt += h_expnt;
        }
        hm = matmul(&hm, &hm, m);
        h_expnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > ep128() {
            for x in hm.iter_mut() {
                *x /= ep128();
            }
            h_expnt += E128 as i64;
        }
        nn /= 2;
    }
    let mut p = pw[(k - 1) * m + (k - 1)];
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < em128() {
            p *= ep128();
            expnt -= E128 as i64;
        }
    }
    if expnt != 0 {
        p *= 2f64.powi(expnt as i32);
    }
    p.clamp(0.0, 1.0)
}

fn matmul(a: &[f64], b: &[f64], m: usize) -> Vec<f64> {
    let mut c = vec![0.0; m * m];
    for i in 0..m {
        for k in 0..m {
            let aik = a[i * m + k];
            if aik == 0.0 {
                continue;
            }
            for j in 0..m {
                c[i * m + j] += aik * b[k * m + j];
            }
        }
    }
    c
}

/// Pelz–Good asymptotic series for P(D_n ≤ x).
pub fn pelz_good_cdf(n: u64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let pi2 = PI * PI;
    let pi4 = pi2 * pi2;
    let pi6 = pi4 * pi2;
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let k1a = -z2;
    let k1b = pi2 / 4.0;
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut kk = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for k in (1..=maxk).rev() {
        let mm = (2 * k - 1) as f64;
        let (m2, m4, m6) = (mm * mm, mm.powi(4), mm.powi(6));
        let qp = q.powf(8.0 * k as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for i in 0..4 {
            kk[i] = kk[i] * qp + coeffs[i];
        }
    }
    let sqrt2pi = (2.0 * PI).sqrt();
    let div = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for i in 0..4 {
        kk[i] = kk[i] * q * sqrt2pi / div[i];
    }
    let q = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for k in (1..=maxk).rev() {
        let kf = k as f64;
        let ks2 = kf * kf;
        let qp = q.powf(ks2);
        k2extra += ks2 * qp;
        let kspi = PI * kf;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ks2 * qp;
    }
    kk[2] += k2extra * pi2 * sqrt2pi / (-36.0 * z3);
    kk[3] += k3extra * pi2 * sqrt2pi / (216.0 * z6);
    let mut sum = 0.0;
    for (i, v) in kk.iter().enumerate() {
        sum += v / nf.powf(i as f64 / 2.0);
    }
    sum
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; about 1e-15 relative).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularised upper incomplete gamma Q(a, x).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x.is_infinite() {
        return 0.0;
    }
    let lnpre = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // Series for P.
        let mut sum = 1.0 / a;
        let mut term = sum;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        1.0 - (lnpre.exp() * sum)
    } else {
        // Continued fraction for Q (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        lnpre.exp() * h
    }
}

/// Survival function of the chi-square distribution.
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x.is_infinite() {
        return 0.0;
    }
    gamma_q(df / 2.0, x / 2.0)
}

/// Complementary error function for x ≥ 0 via Q(½, x²); symmetric extension below 0.
pub fn erfc(x: f64) -> f64 {
    if x >= 0.0 {
        gamma_q(0.5, x * x)
    } else {
        2.0 - gamma_q(0.5, x * x)
    }
}

/// Standard normal CDF.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// `scipy.stats.chisquare(obs, exp)`: (statistic, p-value) with k − 1 degrees of freedom.
pub fn chisquare(obs: &[f64], exp: &[f64]) -> (f64, f64) {
    let stat: f64 = obs
        .iter()
        .zip(exp)
        .map(|(o, e)| {
            let d = o - e;
            d * d / e
        })
        .sum();
    let df = obs.len().saturating_sub(1) as f64;
    (stat, chi2_sf(stat, df))
}

/// `scipy.stats.wasserstein_distance(u, v)`; both sorted ascending.
///
/// ∫ |F_u − F_v| dx as a sum over the distinct values of u ∪ v, walked as a merge of the two sorted
/// samples (no merged copy): between consecutive distinct values d_k < d_{k+1} the two empirical CDFs are
/// constant, so the term is |#u≤d_k / n_u − #v≤d_k / n_v| · (d_{k+1} − d_k), added in increasing k.
pub fn wasserstein(u: &[f64], v: &[f64]) -> f64 {
    let (nu, nv) = (u.len() as f64, v.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    let Some(mut x) = next_distinct(u, v, 0, 0) else {
        return total;
    };
    loop {
        while i < u.len() && u[i] <= x {
            i += 1;
        }
        while j < v.len() && v[j] <= x {
            j += 1;
        }
        let Some(y) = next_distinct(u, v, i, j) else {
            return total;
        };
        total += (i as f64 / nu - j as f64 / nv).abs() * (y - x);
        x = y;
    }
}

/// The smaller of `u[i]` and `v[j]` (the next value of the merge), if any is left.
#[inline]
fn next_distinct(u: &[f64], v: &[f64], i: usize, j: usize) -> Option<f64> {
    match (u.get(i), v.get(j)) {
        (Some(&a), Some(&b)) => Some(if a <= b { a } else { b }),
        (Some(&a), None) => Some(a),
        (None, Some(&b)) => Some(b),
        (None, None) => None,
    }
}

/// Number of distinct values (by `==`) in the union of two sorted samples.
pub fn distinct_union(u: &[f64], v: &[f64]) -> usize {
    let (mut i, mut j, mut n) = (0usize, 0usize, 0usize);
    while let Some(x) = next_distinct(u, v, i, j) {
        n += 1;
        while i < u.len() && u[i] == x {
            i += 1;
        }
        while j < v.len() && v[j] == x {
            j += 1;
        }
    }
    n
}

/// Population standard deviation (`np.std`, ddof = 0).
pub fn std_pop(x: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt()
}

fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// `scipy.spatial.distance.jensenshannon(p, q)` (natural log): the square root of the divergence.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    let mut left = 0.0;
    let mut right = 0.0;
    for (a, b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        left += rel_entr(a, m);
        right += rel_entr(b, m);
    }
    ((left + right) / 2.0).sqrt()
}

/// `scipy.stats.entropy(p, q)`: KL divergence after normalising both.
pub fn entropy(p: &[f64], q: &[f64]) -> f64 {
    let sp: f64 = p.iter().sum();
    let sq: f64 = q.iter().sum();
    p.iter().zip(q).map(|(a, b)| rel_entr(a / sp, b / sq)).sum()
}

/// `np.histogram_bin_edges(x, bins="sturges")` given the sample's min, max and size.
pub fn sturges_edges(min: f64, max: f64, n: usize) -> Vec<f64> {
    let (mut first, mut last) = (min, max);
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    let width = (max - min) / ((n as f64).log2() + 1.0);
    let bins = if width > 0.0 {
        ((last - first) / width).ceil() as usize
    } else {
        1
    };
    let bins = bins.max(1);
    let step = (last - first) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + first).collect();
    if let Some(e) = edges.last_mut() {
        *e = last;
    }
    edges
}

/// `np.histogram(x, edges)[0]` for sorted `x`: half-open bins, the last one closed.
pub fn histogram(sorted: &[f64], edges: &[f64]) -> Vec<f64> {
    let k = edges.len().saturating_sub(1);
    let mut counts = Vec::with_capacity(k);
    let lower = |e: f64| sorted.partition_point(|&v| v < e);
    let upper = |e: f64| sorted.partition_point(|&v| v <= e);
    for i in 0..k {
        let lo = lower(edges[i]);
        let hi = if i + 1 == k {
            upper(edges[i + 1])
        } else {
            lower(edges[i + 1])
        };
        counts.push(hi.saturating_sub(lo) as f64);
    }
    counts
}

/// Evidently's zero fill for PSI and KL: zeros become m/1e6 when the smallest non-zero share m is at
/// most 1e-4, else 1e-4.
pub fn zero_fill(shares: &mut [f64]) {
    let m = shares
        .iter()
        .copied()
        .filter(|&x| x != 0.0)
        .fold(f64::INFINITY, f64::min);
    let fill = if m <= 0.0001 { m / 1e6 } else { 0.0001 };
    for x in shares.iter_mut() {
        if *x == 0.0 {
            *x = fill;
        }
    }
}

/// Σ (ref − cur) · ln(ref / cur).
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(r, c)| (r - c) * (r / c).ln())
        .sum()
}

/// Evidently's two-proportion z-test p-value (values already encoded 0/1 by the caller).
pub fn z_test(ones_ref: f64, n_ref: f64, ones_cur: f64, n_cur: f64) -> f64 {
    let p1 = ones_ref / n_ref;
    let p2 = ones_cur / n_cur;
    let p = (p1 * n_ref + p2 * n_cur) / (n_ref + n_cur);
    let denom = (p * (1.0 - p) * (1.0 / n_ref + 1.0 / n_cur)).sqrt();
    if denom == 0.0 {
        return 1.0;
    }
    let z = (p1 - p2) / denom;
    2.0 * (1.0 - norm_cdf(z.abs()))
}

/// Sort finite floats ascending: LSD radix sort on order-preserving keys for large inputs (six
/// passes of 11 bits), the standard sort for small ones. Same order as `total_cmp`.
pub fn sort_floats(x: &mut [f64]) {
    if x.len() < 4096 {
        x.sort_unstable_by(f64::total_cmp);
        return;
    }
    let key = |v: f64| {
        let b = v.to_bits();
        if b >> 63 == 1 { !b } else { b | (1 << 63) }
    };
    let mut keys: Vec<u64> = x.iter().map(|&v| key(v)).collect();
    // All six digit histograms in one pass over the keys.
    let mut counts = vec![[0usize; 1 << 11]; 6];
    for &k in &keys {
        for (pass, c) in counts.iter_mut().enumerate() {
            c[((k >> (pass * 11)) & 0x7ff) as usize] += 1;
        }
    }
    let mut tmp = vec![0u64; keys.len()];
    for (pass, c) in counts.iter_mut().enumerate() {
        if c.contains(&keys.len()) {
            continue; // every key has the same digit: nothing to move
        }
        let shift = pass * 11;
        let mut sum = 0;
        for c in c.iter_mut() {
            let n = *c;
            *c = sum;
            sum += n;
        }
        for &k in &keys {
            let d = ((k >> shift) & 0x7ff) as usize;
            tmp[c[d]] = k;
            c[d] += 1;
        }
        std::mem::swap(&mut keys, &mut tmp);
    }
    for (v, k) in x.iter_mut().zip(keys) {
        let b = if k >> 63 == 1 { k & !(1 << 63) } else { !k };
        *v = f64::from_bits(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_do_not_differ() {
        let a: Vec<f64> = (0..50).map(f64::from).collect();
        let r = ks_2samp(&a, &a);
        assert_eq!(r.statistic, 0.0);
        assert_eq!(r.pvalue, 1.0);
        assert_eq!(wasserstein(&a, &a), 0.0);
    }

    #[test]
    fn separated_samples_differ() {
        let a: Vec<f64> = (0..50).map(f64::from).collect();
        let b: Vec<f64> = (100..150).map(f64::from).collect();
        let r = ks_2samp(&a, &b);
        assert_eq!(r.statistic, 1.0);
        assert!(r.pvalue < 1e-20);
        assert!((wasserstein(&a, &b) - 100.0).abs() < 1e-12);
    }

    #[test]
    fn radix_sort_matches_the_standard_sort() {
        let mut x: Vec<f64> = (0..20_000u64)
            .map(|i| ((i.wrapping_mul(2_654_435_761) % 10_007) as f64 - 5000.0) * 0.37)
            .collect();
        x.extend([0.0, -0.0, 1e300, -1e300, 5e-324, -5e-324]);
        let mut want = x.clone();
        want.sort_unstable_by(f64::total_cmp);
        sort_floats(&mut x);
        assert_eq!(
            x.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn chi2_sf_known_values() {
        // chi2.sf(3.84145882069412, 1) = 0.05
        assert!((chi2_sf(3.841_458_820_694_124, 1.0) - 0.05).abs() < 1e-12);
        assert!((chi2_sf(2.0, 2.0) - (-1.0f64).exp()).abs() < 1e-14);
        assert!((norm_cdf(0.0) - 0.5).abs() < 1e-15);
    }
}
