//! Our drift statistics against scipy/numpy. The cases are written by `scripts/scipy-cases` (run by
//! `scripts/test`), which installs scipy from PyPI. Without the cases these tests fail when `CI` is set
//! and explain how to produce them otherwise.

use std::path::PathBuf;

use assay_data::stats;
use serde_json::Value;

fn cases() -> Option<Value> {
    let path = std::env::var_os("ASSAY_SCIPY_CASES")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("ASSAY_CACHE")
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/assay"))
                })?;
            Some(cache.join("scipy-cases.json"))
        });
    let text = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
    match text {
        Some(t) => Some(serde_json::from_str(&t).expect("scipy cases are JSON")),
        None => {
            assert!(
                std::env::var_os("CI").is_none(),
                "scipy reference cases missing at {path:?}: scripts/test must run scripts/scipy-cases first"
            );
            eprintln!("SKIPPED: no scipy cases at {path:?}; run scripts/scipy-cases");
            None
        }
    }
}

fn floats(v: &Value, scale: f64) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_i64().expect("integer sample") as f64 / scale)
        .collect()
}

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} missing"))
}

fn rel(ours: f64, theirs: f64) -> f64 {
    if ours == theirs {
        return 0.0;
    }
    (ours - theirs).abs() / theirs.abs().max(f64::MIN_POSITIVE)
}

#[track_caller]
fn close(what: &str, ours: f64, theirs: f64, tol: f64) {
    let r = rel(ours, theirs);
    assert!(
        r <= tol,
        "{what}: ours {ours:e}, scipy {theirs:e}, relative error {r:e} > {tol:e}"
    );
}

#[test]
fn ks_2samp_matches_scipy_exact_and_asymptotic() {
    let Some(c) = cases() else { return };
    let scale = num(&c, "scale");
    let mut seen = (0, 0);
    for (i, case) in c["ks"].as_array().expect("ks").iter().enumerate() {
        let mut a = floats(&case["a"], scale);
        let mut b = floats(&case["b"], scale);
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let r = stats::ks_2samp(&a, &b);
        let method = case["method"].as_str().expect("method");
        let tol_p = if method == "exact" {
            seen.0 += 1;
            1e-9
        } else {
            seen.1 += 1;
            1e-6
        };
        let label = format!("ks case {i} (n={}, m={}, {method})", a.len(), b.len());
        close(
            &format!("{label} statistic"),
            r.statistic,
            num(case, "statistic"),
            1e-9,
        );
        close(
            &format!("{label} p-value"),
            r.pvalue,
            num(case, "pvalue"),
            tol_p,
        );
    }
    assert!(
        seen.0 >= 5 && seen.1 >= 5,
        "both regimes are covered: {seen:?}"
    );
}

#[test]
fn kolmogorov_distribution_matches_scipy_kstwo() {
    let Some(c) = cases() else { return };
    for case in c["kstwo"].as_array().expect("kstwo") {
        let n = case["n"].as_u64().expect("n");
        let x = num(case, "x");
        close(
            &format!("kstwo.sf({x}, {n})"),
            stats::kolmogorov_sf(n, x),
            num(case, "sf"),
            1e-6,
        );
    }
}

#[test]
fn distances_match_scipy() {
    let Some(c) = cases() else { return };
    let scale = num(&c, "scale");
    for (i, case) in c["dist"].as_array().expect("dist").iter().enumerate() {
        let mut a = floats(&case["a"], scale);
        let mut b = floats(&case["b"], scale);
        a.sort_by(f64::total_cmp);
        b.sort_by(f64::total_cmp);
        let w = stats::wasserstein(&a, &b);
        close(
            &format!("case {i} wasserstein"),
            w,
            num(case, "wasserstein"),
            1e-9,
        );
        let wn = w / stats::std_pop(&a).max(0.001);
        close(
            &format!("case {i} wasserstein normed"),
            wn,
            num(case, "wasserstein_norm"),
            1e-9,
        );
        let (r, cur) = assay_data::drift::binned_shares(&a, &b, true);
        let binning = case["binning"].as_str().expect("binning");
        assert_eq!(
            r.sturges,
            binning == "sturges",
            "case {i}: binning chosen as numpy's"
        );
        close(
            &format!("case {i} jensen-shannon"),
            stats::jensen_shannon(&r.shares, &cur),
            num(case, "jensenshannon"),
            1e-9,
        );
        let (mut rf, mut cf) = (r.shares.clone(), cur.clone());
        stats::zero_fill(&mut rf);
        stats::zero_fill(&mut cf);
        close(
            &format!("case {i} psi"),
            stats::psi(&rf, &cf),
            num(case, "psi"),
            1e-9,
        );
        close(
            &format!("case {i} kl"),
            stats::entropy(&rf, &cf),
            num(case, "kl"),
            1e-9,
        );
    }
}

#[test]
fn chisquare_and_z_test_match_scipy() {
    let Some(c) = cases() else { return };
    for (i, case) in c["chisquare"]
        .as_array()
        .expect("chisquare")
        .iter()
        .enumerate()
    {
        let obs: Vec<f64> = case["obs"]
            .as_array()
            .expect("obs")
            .iter()
            .map(|v| v.as_f64().expect("n"))
            .collect();
        let k = num(case, "n_cur") / num(case, "n_ref");
        let exp: Vec<f64> = case["ref"]
            .as_array()
            .expect("ref")
            .iter()
            .map(|v| v.as_f64().expect("n") * k)
            .collect();
        let (s, p) = stats::chisquare(&obs, &exp);
        close(
            &format!("chisquare {i} statistic"),
            s,
            num(case, "statistic"),
            1e-9,
        );
        close(
            &format!("chisquare {i} p-value"),
            p,
            num(case, "pvalue"),
            1e-9,
        );
    }
    for (i, case) in c["ztest"].as_array().expect("ztest").iter().enumerate() {
        let p = stats::z_test(
            num(case, "ones_ref"),
            num(case, "n_ref"),
            num(case, "ones_cur"),
            num(case, "n_cur"),
        );
        close(&format!("z-test {i}"), p, num(case, "pvalue"), 1e-6);
    }
}
