//! The house's shape, checked on every `cargo test` (and so in CI):
//!
//! - layering: the rooms of `src/` (a top-level module: a file `src/x.rs` or a
//!   dir `src/x/`) stand in a declared order, lowest first; a room imports
//!   (`crate::<room>`, `use crate::{a, b}` groups included) only rooms of a
//!   lower tier;
//! - sizes: every file under `src/` is at most [`MAX_FILE_LINES`] lines not
//!   counting its `#[cfg(test)] mod tests`, those of `src/analyze/` and
//!   `src/boot/` at most [`MAX_SMALL_ROOM_LINES`], and no function is over
//!   [`MAX_FN_LINES`] lines;
//! - the line table's switches (every `pub` `bool` or `Option` field of
//!   `LineRules`, read from `src/rules/lines.rs`) are read only in
//!   `src/rules/` and `src/boot/`, the one place that decides what a release
//!   line's boot does.
//!
//! Each check lists every offender, with its file and line. The scans are
//! plain text scans of the source (comments, strings and character literals
//! blanked first); the checkers are tested on small strings below.

use std::path::{Path, PathBuf};

/// The rooms, tier by tier, lowest first. A room may import any room of a
/// lower tier, none of its own tier or above.
const TIERS: &[&[&str]] = &[
    // Leaves: text helpers, exit codes, the `JSON.parse`-exact reader, file
    // system primitives, and the command line's definitions (clap types).
    &["text", "exit", "json", "fsx", "cli"],
    // The gateway's rules and the line table (pure); the backup folder's
    // layout.
    &["rules", "backup"],
    // Which release runs.
    &["release"],
    // Reading a snapshot of the state.
    &["state"],
    // What a release line's next boot does.
    &["boot"],
    // The report.
    &["analyze"],
    // Repairs, planned then carried out.
    &["plan"],
    &["apply"],
    // Output.
    &["render"],
    // The operations (repair and undo as library calls), then the commands
    // that map flags onto them and render.
    &["ops"],
    &["commands"],
];

/// Lines of a file under `src/`, its `#[cfg(test)]` module not counted.
const MAX_FILE_LINES: usize = 800;
/// The same in the rooms every change enters: `src/analyze/`, `src/boot/`.
const MAX_SMALL_ROOM_LINES: usize = 500;
const SMALL_ROOMS: &[&str] = &["analyze", "boot"];
/// Lines of a function, from its `fn` line to its closing brace.
const MAX_FN_LINES: usize = 150;

// ---------------------------------------------------------------- the checks

#[test]
fn a_room_imports_only_rooms_below_it() {
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        let Some(room) = room_of(&path) else { continue };
        let Some(tier) = tier_of(&room) else {
            offenders.push(format!(
                "{}: room `{room}` is in no tier of TIERS (tests/layout.rs): add it",
                path.display()
            ));
            continue;
        };
        for imp in crate_imports(&blank(&text))
            .into_iter()
            .chain(quoted_crate_paths(&text))
        {
            if imp.room == room {
                continue;
            }
            match tier_of(&imp.room) {
                Some(t) if t < tier => {}
                Some(_) => offenders.push(format!(
                    "{}:{}: {room} imports {} (`{}`), which is not below it",
                    path.display(),
                    imp.line,
                    imp.room,
                    imp.text
                )),
                None => offenders.push(format!(
                    "{}:{}: {room} imports `{}` (`{}`), a room in no tier of TIERS",
                    path.display(),
                    imp.line,
                    imp.room,
                    imp.text
                )),
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "{} import(s) against the order of rooms (lowest first: {}):\n{}",
        offenders.len(),
        TIERS
            .iter()
            .map(|t| t.join("/"))
            .collect::<Vec<_>>()
            .join(" < "),
        offenders.join("\n")
    );
}

#[test]
fn files_and_functions_stay_small() {
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        let blanked = blank(&text);
        let room = room_of(&path).unwrap_or_default();
        let max = if SMALL_ROOMS.contains(&room.as_str()) {
            MAX_SMALL_ROOM_LINES
        } else {
            MAX_FILE_LINES
        };
        let lines = code_lines(&blanked);
        if lines > max {
            offenders.push(format!(
                "{}: {lines} lines without its tests (at most {max})",
                path.display()
            ));
        }
        for f in functions(&blanked) {
            if f.lines > MAX_FN_LINES && !f.in_tests {
                offenders.push(format!(
                    "{}:{}: fn {} is {} lines (at most {MAX_FN_LINES})",
                    path.display(),
                    f.line,
                    f.name,
                    f.lines
                ));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "{} file(s) or function(s) too long:\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

#[test]
fn line_switches_are_read_only_in_rules_and_boot() {
    let src = root().join("src");
    let lines_rs = std::fs::read_to_string(src.join("rules/lines.rs")).unwrap();
    let switches = switch_fields(&blank(&lines_rs));
    assert!(
        switches.iter().any(|s| s == "boot_recovery"),
        "the LineRules switches could not be read from src/rules/lines.rs: {switches:?}"
    );
    let mut offenders = Vec::new();
    for (path, text) in sources() {
        let room = room_of(&path).unwrap_or_default();
        if room == "rules" || room == "boot" {
            continue;
        }
        for (line, field) in field_reads(&blank(&text), &switches) {
            offenders.push(format!(
                "{}:{line}: reads the line switch `.{field}`",
                path.display()
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "{} read(s) of a LineRules switch outside src/rules/ and src/boot/ (a line's \
         boot is decided in boot/; elsewhere read its verdicts):\n{}",
        offenders.len(),
        offenders.join("\n")
    );
}

// ---------------------------------------------------------------- the source

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every `.rs` file under `src/`, as a path relative to the crate root, with
/// its text; sorted.
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(root()).unwrap().to_path_buf(), text)
        })
        .collect()
}

/// The room of `src/<room>.rs` or `src/<room>/...`; `None` for the crate
/// roots (`lib.rs`, `main.rs`), which stand above every room.
fn room_of(path: &Path) -> Option<String> {
    let mut parts = path.strip_prefix("src").ok()?.components();
    let first = parts.next()?.as_os_str().to_str()?.to_string();
    if parts.next().is_some() {
        return Some(first);
    }
    let stem = first.strip_suffix(".rs")?;
    (stem != "lib" && stem != "main").then(|| stem.to_string())
}

fn tier_of(room: &str) -> Option<usize> {
    TIERS.iter().position(|t| t.contains(&room))
}

// ---------------------------------------------------------------- scanners

/// `src` with comments, string literals (raw and byte ones too) and
/// character literals replaced by spaces, newlines kept, so that braces and
/// paths are counted in code only and line numbers stay right.
fn blank(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let keep_nl = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        let ident_before = i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_');
        // line comment
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
            continue;
        }
        // block comment, nested
        if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(keep_nl(c[i]));
                    i += 1;
                }
            }
            continue;
        }
        // raw string: r"..", r#".."#, br#".."#
        if !ident_before && (c[i] == 'r' || (c[i] == 'b' && c.get(i + 1) == Some(&'r'))) {
            let mut j = i + if c[i] == 'b' { 2 } else { 1 };
            let mut hashes = 0;
            while c.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if c.get(j) == Some(&'"') {
                j += 1;
                let closes =
                    |k: usize| c[k] == '"' && (1..=hashes).all(|h| c.get(k + h) == Some(&'#'));
                while j < c.len() && !closes(j) {
                    j += 1;
                }
                let end = (j + 1 + hashes).min(c.len());
                for &ch in &c[i..end] {
                    out.push(keep_nl(ch));
                }
                i = end;
                continue;
            }
        }
        // string, byte string
        if c[i] == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    out.push(keep_nl(c[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
            continue;
        }
        // character literal (not a lifetime or a label)
        if c[i] == '\'' {
            let lit_end = if c.get(i + 1) == Some(&'\\') {
                (i + 2..c.len().min(i + 12)).find(|&k| c[k] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(end) = lit_end {
                for _ in i..=end {
                    out.push(' ');
                }
                i = end + 1;
                continue;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    out
}

/// The 0-based line range (start, end exclusive) of the `#[cfg(test)]` (or
/// `#[cfg(all(test, ..))]`) module `mod tests { .. }` of blanked source.
fn test_module(blanked: &str) -> Option<(usize, usize)> {
    let lines: Vec<&str> = blanked.lines().collect();
    let start = (0..lines.len()).find(|&i| {
        let l = lines[i].trim();
        (l == "#[cfg(test)]" || (l.starts_with("#[cfg(all(test") && l.ends_with(")]")))
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("mod tests"))
    })?;
    let mut depth = 0i64;
    let mut opened = false;
    for (i, l) in lines.iter().enumerate().skip(start + 1) {
        for ch in l.chars() {
            match ch {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                _ => {}
            }
        }
        if (opened && depth <= 0) || (!opened && l.trim_end().ends_with(';')) {
            return Some((start, i + 1));
        }
    }
    Some((start, lines.len()))
}

/// Lines of blanked source without its test module.
fn code_lines(blanked: &str) -> usize {
    let all = blanked.lines().count();
    match test_module(blanked) {
        Some((a, b)) => all - (b - a),
        None => all,
    }
}

struct Function {
    name: String,
    /// 1-based line of `fn`.
    line: usize,
    /// From the `fn` line to the line of its closing brace.
    lines: usize,
    in_tests: bool,
}

/// Every function with a body in blanked source, nested ones too.
fn functions(blanked: &str) -> Vec<Function> {
    let lines: Vec<&str> = blanked.lines().collect();
    let tests = test_module(blanked);
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(name) = fn_name(l) else { continue };
        let mut depth = 0i64;
        let mut opened = false;
        let mut end = None;
        'scan: for (j, l2) in lines.iter().enumerate().skip(i) {
            let from = if j == i {
                l2.find("fn ").unwrap_or(0)
            } else {
                0
            };
            for ch in l2[from..].chars() {
                match ch {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => {
                        depth -= 1;
                        if opened && depth == 0 {
                            end = Some(j);
                            break 'scan;
                        }
                    }
                    ';' if !opened && depth == 0 => break 'scan,
                    _ => {}
                }
            }
        }
        if let Some(end) = end {
            out.push(Function {
                name,
                line: i + 1,
                lines: end - i + 1,
                in_tests: tests.is_some_and(|(a, b)| i >= a && i < b),
            });
        }
    }
    out
}

/// The name of the function a line declares (`fn x`, `pub(crate) async fn x`, ...).
fn fn_name(line: &str) -> Option<String> {
    let at = find_word(line, "fn")?;
    let before = line[..at].trim();
    let qualifiers = [
        "pub", "crate", "super", "self", "in", "const", "async", "unsafe", "extern", "default",
    ];
    let ok = before
        .split(|c: char| c.is_whitespace() || "()".contains(c))
        .filter(|w| !w.is_empty())
        .all(|w| qualifiers.contains(&w) || w.starts_with("crate::") || w.starts_with("super::"));
    if !ok {
        return None;
    }
    let rest = line[at + 2..].trim_start();
    let name: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// The byte offset of `word` in `s` as a whole word.
fn find_word(s: &str, word: &str) -> Option<usize> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut from = 0;
    while let Some(k) = s[from..].find(word) {
        let at = from + k;
        let before = s[..at].chars().next_back();
        let after = s[at + word.len()..].chars().next();
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return Some(at);
        }
        from = at + word.len();
    }
    None
}

struct Import {
    /// The room named right after `crate::`.
    room: String,
    /// 1-based line.
    line: usize,
    /// The path as written, up to the room (`crate::apply::Manifest`,
    /// `crate::{analyze, render}`).
    text: String,
}

/// Every room named by a `crate::` path in blanked source: `crate::x::..`,
/// and each top-level name of a `crate::{x, y::{..}}` group.
fn crate_imports(blanked: &str) -> Vec<Import> {
    let mut out = Vec::new();
    let b = blanked.as_bytes();
    let mut from = 0;
    while let Some(k) = blanked[from..].find("crate::") {
        let at = from + k;
        from = at + "crate::".len();
        let before = blanked[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || "_:$".contains(c)) {
            continue; // `$crate::`, `foo_crate::`, `x::crate::`
        }
        let line = blanked[..at].matches('\n').count() + 1;
        let mut i = from;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if b.get(i) == Some(&b'{') {
            // a group: the names at its top level
            let mut depth = 0;
            let mut j = i;
            let mut names = Vec::new();
            let mut word = String::new();
            let mut at_start = true;
            while j < b.len() {
                let ch = b[j] as char;
                let ident = ch.is_alphanumeric() || ch == '_';
                if ident && depth == 1 && at_start {
                    word.push(ch);
                } else if !word.is_empty() {
                    names.push(std::mem::take(&mut word));
                    at_start = false;
                }
                match ch {
                    '{' => {
                        depth += 1;
                        if depth == 1 {
                            at_start = true;
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    ',' if depth == 1 => at_start = true,
                    _ => {}
                }
                j += 1;
            }
            if !word.is_empty() {
                names.push(word);
            }
            let text: String = blanked[at..=j.min(b.len() - 1)]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for n in names {
                if n != "self" {
                    out.push(Import {
                        room: n,
                        line,
                        text: text.clone(),
                    });
                }
            }
        } else {
            let name: String = blanked[i..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                let mut tail: String = blanked[i + name.len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || "_:".contains(*c))
                    .collect();
                if tail.ends_with("::") {
                    tail.push_str("{..}");
                }
                out.push(Import {
                    text: format!("crate::{name}{tail}"),
                    room: name,
                    line,
                });
            }
        }
    }
    out
}

/// `crate::` paths in string literals, as attributes take them
/// (`#[serde(serialize_with = "crate::render::json::whole_number")]`).
fn quoted_crate_paths(src: &str) -> Vec<Import> {
    let mut out = Vec::new();
    for (n, line) in src.lines().enumerate() {
        let mut from = 0;
        while let Some(k) = line[from..].find("\"crate::") {
            let at = from + k + 1;
            let path: String = line[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || "_:".contains(*c))
                .collect();
            if let Some(room) = path
                .strip_prefix("crate::")
                .and_then(|p| p.split("::").next())
            {
                out.push(Import {
                    room: room.to_string(),
                    line: n + 1,
                    text: format!("\"{path}\""),
                });
            }
            from = at;
        }
    }
    out
}

/// The `pub` fields of `struct LineRules` whose type is `bool` or `Option<..>`.
fn switch_fields(blanked_lines_rs: &str) -> Vec<String> {
    let Some(start) = blanked_lines_rs.find("pub struct LineRules") else {
        return Vec::new();
    };
    let body_start = start + blanked_lines_rs[start..].find('{').unwrap_or(0) + 1;
    let body_end = body_start + blanked_lines_rs[body_start..].find('}').unwrap_or(0);
    blanked_lines_rs[body_start..body_end]
        .split(',')
        .filter_map(|f| {
            let f = f.trim();
            let rest = f.strip_prefix("pub ")?;
            let (name, ty) = rest.split_once(':')?;
            let ty = ty.trim();
            (ty == "bool" || ty.starts_with("Option<")).then(|| name.trim().to_string())
        })
        .collect()
}

/// Each `.<field>` read of one of `fields` (not a method call `.<field>(`),
/// with its 1-based line.
fn field_reads(blanked: &str, fields: &[String]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in blanked.lines().enumerate() {
        for f in fields {
            let pat = format!(".{f}");
            let mut from = 0;
            while let Some(k) = line[from..].find(&pat) {
                let end = from + k + pat.len();
                let next = line[end..].chars().next();
                let whole = !next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '(');
                if whole {
                    out.push((n + 1, f.clone()));
                }
                from = end;
            }
        }
    }
    out
}

// ---------------------------------------------------------------- the checkers' own tests

#[test]
fn blanking_hides_braces_in_comments_strings_and_chars_only() {
    let src = "fn a() { let s = \"{\"; let c = '{'; let r = r#\"}\"#; } // {\n/* { */ fn b<'a>(x: &'a str) {}\n";
    let b = blank(src);
    assert_eq!(b.lines().count(), 2);
    assert_eq!(b.matches('{').count(), 2, "{b}");
    assert_eq!(b.matches('}').count(), 2, "{b}");
    assert!(b.contains("fn b<'a>(x: &'a str)"), "lifetimes stay: {b}");
}

#[test]
fn crate_paths_and_groups_name_their_rooms() {
    let src = "use crate::fsx;\nuse crate::{analyze, render::{self, plan}};\nlet x = crate::state::json::parse(b);\nuse crate::{\n    apply::Manifest,\n    text,\n};\n$crate::x; my_crate::y;\n";
    let got: Vec<(String, usize)> = crate_imports(&blank(src))
        .into_iter()
        .map(|i| (i.room, i.line))
        .collect();
    let want = [
        ("fsx", 1),
        ("analyze", 2),
        ("render", 2),
        ("state", 3),
        ("apply", 4),
        ("text", 4),
    ];
    let want: Vec<(String, usize)> = want.iter().map(|(r, l)| (r.to_string(), *l)).collect();
    assert_eq!(got, want);
    let first = &crate_imports(&blank(src))[3];
    assert_eq!(first.text, "crate::state::json::parse");
    let attr = "    #[serde(serialize_with = \"crate::render::json::whole_number\")]\n";
    assert!(
        crate_imports(&blank(attr)).is_empty(),
        "blanked as a string"
    );
    let quoted = quoted_crate_paths(attr);
    assert_eq!((quoted[0].room.as_str(), quoted[0].line), ("render", 1));
}

#[test]
fn a_file_is_measured_without_its_test_module() {
    let src = "//! x\nfn a() {\n}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn t() {\n        let _ = \"}\";\n    }\n}\n";
    assert_eq!(code_lines(&blank(src)), 4);
    let unix = src.replace("#[cfg(test)]", "#[cfg(all(test, unix))]");
    assert_eq!(code_lines(&blank(&unix)), 4);
    assert_eq!(code_lines(&blank("fn a() {}\n")), 1);
}

#[test]
fn functions_are_measured_by_their_braces() {
    let mut src = String::from("pub(crate) fn long(\n    a: u8,\n) -> u8 {\n");
    for _ in 0..200 {
        src.push_str("    let s = \"}\"; // }\n");
    }
    src.push_str("    a\n}\n\nfn short() { if true { } }\ntrait T { fn decl(&self); }\n");
    let fs = functions(&blank(&src));
    let got: Vec<(&str, usize, usize)> = fs
        .iter()
        .map(|f| (f.name.as_str(), f.line, f.lines))
        .collect();
    assert_eq!(got, [("long", 1, 205), ("short", 207, 1)]);
    assert!(fs[0].lines > MAX_FN_LINES, "the check can fail");
    assert_eq!(fn_name("    let f = |x| x; // fn"), None);
    assert_eq!(fn_name("    pub async fn go() {"), Some("go".into()));
}

#[test]
fn switches_are_the_bool_and_option_fields_and_reads_are_found() {
    let src = "pub struct LineRules {\n    /// doc: a, b\n    pub name: &'static str,\n    pub era: Era,\n    pub boot_recovery: bool,\n    pub grace_ms: Option<u64>,\n    hidden: bool,\n}\n";
    let fields = switch_fields(&blank(src));
    assert_eq!(fields, ["boot_recovery", "grace_ms"]);
    let code = "if line.boot_recovery && l.grace_ms.is_some() {}\nx.boot_recovery_at(); y.boot_recovery_x;\n";
    assert_eq!(
        field_reads(&blank(code), &fields),
        [
            (1, "boot_recovery".to_string()),
            (1, "grace_ms".to_string())
        ]
    );
}

#[test]
fn rooms_are_named_by_their_top_level_module() {
    assert_eq!(
        room_of(Path::new("src/state/copies.rs")),
        Some("state".into())
    );
    assert_eq!(room_of(Path::new("src/text.rs")), Some("text".into()));
    assert_eq!(room_of(Path::new("src/lib.rs")), None);
    assert!(tier_of("rules") < tier_of("state"));
    assert!(tier_of("state") < tier_of("boot"));
    assert!(tier_of("boot") < tier_of("analyze"));
    assert!(tier_of("analyze") < tier_of("plan"));
    assert!(tier_of("render") < tier_of("commands"));
}
