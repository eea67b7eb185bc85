//! JSON text exactly as Python's `json` module writes it.
//!
//! Byte identity with the seed's reference files needs Python's choices:
//! `ensure_ascii=True` escaping (lower-case `\u00XX`, surrogate pairs above
//! the BMP) and `indent=N` pretty printing with sorted keys and `(',', ': ')`
//! separators.

use serde_json::Value;

/// Appends `s` as a JSON string literal (with quotes), escaped as Python's
/// `json.dumps(s, ensure_ascii=True)` does.
pub fn push_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    push_u_escape(out, *unit);
                }
            }
        }
    }
    out.push('"');
}

fn push_u_escape(out: &mut String, unit: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[(unit >> shift) as usize & 0xf] as char);
    }
}

/// `json.dumps(value, indent=indent, sort_keys=True)` (Python ≥ 3.4, whose
/// separators with an indent are `(',', ': ')`).
pub fn dumps_indented(value: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_value(&mut out, value, indent, 0);
    out
}

fn write_value(out: &mut String, value: &Value, indent: usize, level: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&python_number(n)),
        Value::String(s) => push_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                write_value(out, item, indent, level + 1);
            }
            newline(out, indent, level);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, level + 1);
                push_string(out, key);
                out.push_str(": ");
                write_value(out, item, indent, level + 1);
            }
            newline(out, indent, level);
            out.push('}');
        }
    }
}

fn newline(out: &mut String, indent: usize, level: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent * level));
}

/// Python prints floats with `repr`: `0.0`, not `0`.
fn python_number(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
        _ => n.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_escape_like_python_ensure_ascii() {
        let mut s = String::new();
        push_string(&mut s, "\u{6}\u{c}\u{12}\u{18}$0\"\\\n\t\r\u{8}é😀\u{7f}");
        // Python escapes everything outside ' '..'~', DEL included.
        let expected = r#""\u0006\f\u0012\u0018$0\"\\\n\t\r\b\u00e9\ud83d\ude00\u007f""#;
        assert_eq!(s, expected);
    }

    #[test]
    fn indented_dumps_match_python() {
        let v =
            json!({"zarr_format": 2, "b": [1, 2], "a": {"id": "x"}, "f": 0.0, "n": null, "e": []});
        assert_eq!(
            dumps_indented(&v, 1),
            "{\n \"a\": {\n  \"id\": \"x\"\n },\n \"b\": [\n  1,\n  2\n ],\n \"e\": [],\n \"f\": 0.0,\n \"n\": null,\n \"zarr_format\": 2\n}"
        );
        assert_eq!(
            dumps_indented(&json!({"zarr_format": 2}), 4),
            "{\n    \"zarr_format\": 2\n}"
        );
    }
}
