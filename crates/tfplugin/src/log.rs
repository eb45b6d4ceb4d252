//! Logging in hclog's JSON shape on stderr, so Terraform keeps each line's level and filters
//! it with `TF_LOG` / `TF_LOG_PROVIDER`. stdout belongs to the handshake.

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// Installs the stderr logger; the level follows `TF_LOG_PROVIDER`, then `TF_LOG`. `own` are
/// the crates whose lines are the provider's own (its crate and its API client's, by crate
/// name): they log at that level, with this crate's.
pub fn init(module: &'static str, own: &[&'static str]) {
    let level = ["TF_LOG_PROVIDER", "TF_LOG"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .map_or(Level::INFO, |v| match v.to_ascii_lowercase().as_str() {
            "trace" | "json" => Level::TRACE,
            "debug" => Level::DEBUG,
            "warn" => Level::WARN,
            "error" => Level::ERROR,
            _ => Level::INFO,
        });
    // Dependencies (HTTP, TLS, gRPC) log at most warnings: their TRACE output is noise to a
    // Terraform user, and the provider's own lines already say what was sent where.
    let this = module_path!().split("::").next().unwrap_or_default();
    let filter = own.iter().chain([&this]).fold(
        tracing_subscriber::filter::Targets::new().with_default(level.min(Level::WARN)),
        |f, krate| f.with_target(*krate, level),
    );
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .event_format(Hclog { module })
        .finish()
        .with(filter)
        .try_init();
}

struct Hclog {
    module: &'static str,
}

#[derive(Default)]
struct Fields(serde_json::Map<String, serde_json::Value>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_owned(), format!("{value:?}").into());
    }
}

impl<S, N> FormatEvent<S, N> for Hclog
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut line = fields.0;
        // go-plugin reads `@message` as a string and crashes Terraform on anything else, and
        // some events (from dependencies) carry no message at all.
        let message = match line.remove("message") {
            Some(serde_json::Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => event.metadata().target().to_owned(),
        };
        line.insert("@message".to_owned(), message.into());
        line.insert(
            "@level".to_owned(),
            event
                .metadata()
                .level()
                .as_str()
                .to_ascii_lowercase()
                .into(),
        );
        line.insert("@module".to_owned(), self.module.into());
        line.insert("@timestamp".to_owned(), rfc3339_now().into());
        writeln!(writer, "{}", serde_json::Value::Object(line))
    }
}

/// Now, as hclog writes it: RFC 3339 in UTC with microseconds.
fn rfc3339_now() -> String {
    let t = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Lines(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Lines {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_line_has_the_string_fields_go_plugin_requires() {
        let lines = Lines::default();
        let writer = lines.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(Level::TRACE)
            .event_format(Hclog { module: "test" })
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(status = 200, "Duo request");
            tracing::trace!(frame = 3); // no message, as some dependencies log
        });
        let text = String::from_utf8_lossy(
            &lines
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned();
        let parsed: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_default())
            .collect();
        assert_eq!(parsed.len(), 2, "{text}");
        for line in &parsed {
            for key in ["@message", "@level", "@module", "@timestamp"] {
                assert!(line[key].is_string(), "{key} in {line}");
            }
        }
        assert_eq!(parsed[0]["@message"], "Duo request");
        assert_eq!(parsed[0]["status"], 200);
        assert_eq!(parsed[1]["@level"], "trace");
    }

    #[test]
    fn timestamps_are_rfc3339_with_microseconds_in_utc() {
        let stamp = super::rfc3339_now();
        let parsed =
            time::OffsetDateTime::parse(&stamp, &time::format_description::well_known::Rfc3339);
        assert!(parsed.is_ok(), "{stamp}");
        // 2026-12-01T21:23:56.123456Z
        assert_eq!(stamp.len(), 27, "{stamp}");
        assert!(stamp.ends_with('Z'), "{stamp}");
    }
}
