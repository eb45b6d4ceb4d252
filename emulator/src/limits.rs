//! What makes the emulator behave like a busy, imperfect Duo: per-class rate limits, injected
//! faults (reproducible with a seed), and the request counts tests read from
//! `/_emulator/stats`.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use rand::Rng;
use serde_json::{Value, json};

/// Duo's published per-account defaults, requests per minute (`duo-admin-api.md` §5).
pub fn per_minute(class: &str) -> f64 {
    match class {
        "modify" | "get_object" => 300.0,
        "list" => 200.0,
        "bulk" => 50.0,
        _ => 40.0,
    }
}

/// Token buckets per rate class; `scale` multiplies every limit.
pub struct RateLimits {
    scale: f64,
    buckets: HashMap<String, (f64, Instant)>,
}

impl RateLimits {
    pub fn new(scale: f64) -> RateLimits {
        RateLimits {
            scale,
            buckets: HashMap::new(),
        }
    }

    /// Takes a token; false means answer 429.
    pub fn allow(&mut self, class: &str) -> bool {
        let capacity = per_minute(class) * self.scale;
        let now = Instant::now();
        let (tokens, at) = self
            .buckets
            .entry(class.to_owned())
            .or_insert((capacity, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * capacity / 60.0).min(capacity);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What `--faults` injects, as probabilities per signed request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub status: Vec<(u16, f64)>,
    pub drop: f64,
    pub latency_ms: u64,
}

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status without acting on the request.
    Status(u16),
    /// Act on the request, then close the connection without an answer.
    Drop,
}

impl Faults {
    /// Parses `429=0.1,503=0.05,drop=0.02,latency=20`.
    pub fn parse(spec: &str) -> Result<Faults, String> {
        let mut f = Faults::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (kind, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not KIND=VALUE"))?;
            if kind == "latency" {
                f.latency_ms = value.parse().map_err(|_| {
                    format!("latency {value:?} is not a whole number of milliseconds")
                })?;
                continue;
            }
            let rate: f64 = value
                .parse()
                .ok()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| format!("rate {value:?} of {kind} is not a fraction from 0 to 1"))?;
            match kind {
                "drop" => f.drop = rate,
                "429" | "500" | "502" | "503" => f.status.push((kind.parse().unwrap_or(500), rate)),
                other => {
                    return Err(format!(
                        "unknown fault kind {other:?}; use 429, 500, 502, 503, drop or latency"
                    ));
                }
            }
        }
        if f.status.iter().map(|(_, r)| r).sum::<f64>() + f.drop > 1.0 {
            return Err("fault rates add up to more than 1".to_owned());
        }
        Ok(f)
    }

    pub fn roll(&self, rng: &mut impl Rng) -> Option<Fault> {
        if self.status.is_empty() && self.drop == 0.0 {
            return None;
        }
        let mut r: f64 = rng.random();
        for (status, rate) in &self.status {
            if r < *rate {
                return Some(Fault::Status(*status));
            }
            r -= rate;
        }
        (r < self.drop).then_some(Fault::Drop)
    }
}

/// The spec `parse` reads back (empty for none).
impl std::fmt::Display for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = self
            .status
            .iter()
            .map(|(status, rate)| format!("{status}={rate}"))
            .collect();
        if self.drop > 0.0 {
            parts.push(format!("drop={}", self.drop));
        }
        if self.latency_ms > 0 {
            parts.push(format!("latency={}", self.latency_ms));
        }
        f.write_str(&parts.join(","))
    }
}

/// Counts of the signed API requests received.
#[derive(Debug, Default)]
pub struct Stats {
    total: u64,
    throttled: u64,
    by_class: BTreeMap<String, u64>,
    by_route: BTreeMap<String, u64>,
}

impl Stats {
    pub fn count(&mut self, class: &str, route: &str) {
        self.total += 1;
        *self.by_class.entry(class.to_owned()).or_default() += 1;
        *self.by_route.entry(route.to_owned()).or_default() += 1;
    }

    pub fn throttled(&mut self) {
        self.throttled += 1;
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Stats) {
        self.total += other.total;
        self.throttled += other.throttled;
        for (k, n) in &other.by_class {
            *self.by_class.entry(k.clone()).or_default() += n;
        }
        for (k, n) in &other.by_route {
            *self.by_route.entry(k.clone()).or_default() += n;
        }
    }

    pub fn json(&self) -> Value {
        json!({"total": self.total, "throttled": self.throttled, "by_class": self.by_class, "by_route": self.by_route})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fault_specs_parse_and_bad_ones_say_why() {
        let f = Faults::parse("429=0.1,503=0.05,drop=0.02,latency=20");
        assert_eq!(
            f,
            Ok(Faults {
                status: vec![(429, 0.1), (503, 0.05)],
                drop: 0.02,
                latency_ms: 20
            })
        );
        assert!(Faults::parse("404=0.1").is_err_and(|e| e.contains("unknown fault kind")));
        assert!(Faults::parse("429=2").is_err());
        assert!(Faults::parse("429=0.7,503=0.7").is_err());
        let spec = "429=0.1,503=0.05,drop=0.02,latency=20";
        assert_eq!(
            Faults::parse(spec).map(|f| f.to_string()).as_deref(),
            Ok(spec)
        );
        assert_eq!(Faults::default().to_string(), "");
    }

    #[test]
    fn seeded_faults_are_reproducible_and_near_their_rates() {
        let f = Faults::parse("429=0.2,drop=0.1").unwrap_or_default();
        let run = |seed| {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            (0..1000).map(|_| f.roll(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        let throttled = run(7)
            .iter()
            .filter(|x| **x == Some(Fault::Status(429)))
            .count();
        assert!((150..250).contains(&throttled), "{throttled}");
    }

    #[test]
    fn rate_limits_refuse_past_the_per_minute_budget() {
        let mut l = RateLimits::new(0.01); // 2 list calls per minute
        assert!(l.allow("list"));
        assert!(l.allow("list"));
        assert!(!l.allow("list"));
        assert!(l.allow("modify"));
    }
}
