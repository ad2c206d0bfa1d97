//! Timing summaries shared by the locate examples (`#[path]`-included: examples are separate
//! binaries).

use std::time::Duration;

/// Print mean, median, p99 and max in microseconds as `name_stat_us value` lines.
pub fn print_stats(name: &str, v: &mut [Duration]) {
    if v.is_empty() {
        return;
    }
    v.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = v.iter().map(|&d| us(d)).sum::<f64>() / v.len() as f64;
    let p = |q: f64| us(v[((v.len() - 1) as f64 * q).round() as usize]);
    println!("{name}_mean_us {mean:.1}");
    println!("{name}_median_us {:.1}", p(0.5));
    println!("{name}_p99_us {:.1}", p(0.99));
    println!("{name}_max_us {:.1}", p(1.0));
}
