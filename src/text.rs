//! Words for people, shared by the analysis and the renderers.

/// "1 lock", "2 locks", "0 locks".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A duration in ms as the largest whole unit: "900ms", "30s", "5m", "2h", "3d".
pub fn duration(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms}ms"),
        1000..=59_999 => format!("{}s", ms / 1000),
        60_000..=3_599_999 => format!("{}m", ms / 60_000),
        3_600_000..=86_399_999 => format!("{}h", ms / 3_600_000),
        _ => format!("{}d", ms / 86_400_000),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_in_words() {
        assert_eq!(super::duration(250), "250ms");
        assert_eq!(super::duration(30_000), "30s");
        assert_eq!(super::duration(90_000), "1m");
        assert_eq!(super::duration(7_200_000), "2h");
        assert_eq!(super::duration(3 * 86_400_000), "3d");
    }
}
