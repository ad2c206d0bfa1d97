//! A small JSON Schema (2020-12) validator for the subset `docs/report.schema.json` uses:
//! `type` (one or a list), `properties`, `required`, `additionalProperties` (boolean or a
//! schema), `items`, `enum`, `const`, `minimum`, `maximum`, and `$ref` to `#/$defs/...`.
//! Annotations (`title`, `description`, `$comment`, `$schema`, `$id`, `$defs`) are skipped.
//! Any other keyword is an error, so the schema cannot quietly rely on one this does not check.
//!
//! Shared by the unit tests of `src/report/json.rs` (through `#[path]`) and `tests/cli.rs`.

#![allow(dead_code)]

use serde_json::Value;

const ANNOTATIONS: &[&str] = &[
    "title",
    "description",
    "$comment",
    "$schema",
    "$id",
    "$defs",
];

/// Checks `doc` against `schema`; the error names the first place that does not fit.
pub fn validate(schema: &Value, doc: &Value) -> Result<(), String> {
    check(schema, schema, doc, "$")
}

fn type_fits(name: &str, value: &Value) -> Result<bool, String> {
    Ok(match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "string" => value.is_string(),
        "number" => value.is_number(),
        "integer" => {
            value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        "array" => value.is_array(),
        "object" => value.is_object(),
        other => return Err(format!("unknown type '{other}' in the schema")),
    })
}

fn check(root: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let Some(schema) = schema.as_object() else {
        return match schema.as_bool() {
            Some(true) => Ok(()),
            Some(false) => Err(format!("{at}: not allowed")),
            None => Err(format!(
                "{at}: the schema here is neither an object nor a boolean"
            )),
        };
    };
    for (keyword, arg) in schema {
        match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => {
                let name = arg
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/$defs/"))
                    .ok_or_else(|| format!("{at}: unsupported $ref {arg}"))?;
                let target = root
                    .get("$defs")
                    .and_then(|d| d.get(name))
                    .ok_or_else(|| format!("{at}: $ref to a missing definition '{name}'"))?;
                check(root, target, value, at)?;
            }
            "type" => {
                let names: Vec<&str> = match arg {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => return Err(format!("{at}: bad 'type' in the schema")),
                };
                let mut fits = false;
                for name in &names {
                    fits |= type_fits(name, value)?;
                }
                if !fits {
                    return Err(format!("{at}: {value} is not of type {names:?}"));
                }
            }
            "enum" => {
                let options = arg.as_array().ok_or("bad 'enum' in the schema")?;
                if !options.contains(value) {
                    return Err(format!("{at}: {value} is not one of {arg}"));
                }
            }
            "const" => {
                if arg != value {
                    return Err(format!("{at}: {value} is not {arg}"));
                }
            }
            "minimum" | "maximum" => {
                if let (Some(limit), Some(n)) = (arg.as_f64(), value.as_f64()) {
                    let fits = if keyword == "minimum" {
                        n >= limit
                    } else {
                        n <= limit
                    };
                    if !fits {
                        return Err(format!("{at}: {n} is out of range ({keyword} {limit})"));
                    }
                }
            }
            "required" => {
                if let Some(object) = value.as_object() {
                    for name in arg.as_array().ok_or("bad 'required' in the schema")? {
                        let name = name.as_str().ok_or("bad 'required' in the schema")?;
                        if !object.contains_key(name) {
                            return Err(format!("{at}: missing required '{name}'"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(object) = value.as_object() {
                    let props = arg.as_object().ok_or("bad 'properties' in the schema")?;
                    for (name, sub) in props {
                        if let Some(v) = object.get(name) {
                            check(root, sub, v, &format!("{at}.{name}"))?;
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(object) = value.as_object() {
                    let known = schema.get("properties").and_then(Value::as_object);
                    for (name, v) in object {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        check(root, arg, v, &format!("{at}.{name}"))
                            .map_err(|e| format!("{e} (additional property)"))?;
                    }
                }
            }
            "items" => {
                if let Some(items) = value.as_array() {
                    for (i, item) in items.iter().enumerate() {
                        check(root, arg, item, &format!("{at}[{i}]"))?;
                    }
                }
            }
            other => return Err(format!("{at}: unsupported schema keyword '{other}'")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod self_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_validator_itself() {
        let schema = json!({
            "$defs": {"n": {"type": ["integer", "null"], "minimum": 0}},
            "type": "object",
            "required": ["a"],
            "properties": {"a": {"$ref": "#/$defs/n"}, "b": {"enum": ["x", "y"]}},
            "additionalProperties": false
        });
        assert!(validate(&schema, &json!({"a": 1, "b": "x"})).is_ok());
        assert!(validate(&schema, &json!({"a": null})).is_ok());
        assert!(validate(&schema, &json!({"a": -1})).is_err());
        assert!(validate(&schema, &json!({"a": 1.5})).is_err());
        assert!(validate(&schema, &json!({"b": "x"})).is_err());
        assert!(validate(&schema, &json!({"a": 1, "b": "z"})).is_err());
        assert!(validate(&schema, &json!({"a": 1, "c": 1})).is_err());
        assert!(validate(&json!({"pattern": "x"}), &json!("x")).is_err());
    }
}
