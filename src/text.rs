//! Words for people, shared by the analysis and the renderers.

/// "1 lock", "2 locks", "0 locks".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
