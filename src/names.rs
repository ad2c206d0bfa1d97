//! The one place where a domain enum meets its name in the CSV files, `--fail-on` and the
//! renderings: [`named_enum!`] declares the enum together with each variant's name, and
//! derives `ALL` (declaration order), `as_str`, `from_name`, `Display` and `Serialize` (the
//! JSON rows) from that list.
//! A name is written once, beside its variant, so a writer and a reader cannot disagree.

/// Declares a fieldless enum whose variants each carry their file name:
///
/// ```text
/// named_enum! {
///     /// doc
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Verdict {
///         /// doc
///         Verified = "verified",
///     }
/// }
/// ```
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every value, in declaration order (the order summaries list them).
            #[allow(dead_code, reason = "made for every enum; not every enum is listed")]
            pub const ALL: [$name; { [$($text),+].len() }] = [$($name::$variant),+];

            /// The name written in the files and accepted on the command line.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// The value a name stands for; `None` for any other text (a hand-edited file,
            /// a file of another version).
            #[allow(dead_code, reason = "made for every enum; not every enum is read back")]
            pub fn from_name(name: &str) -> Option<$name> {
                match name {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use named_enum;

#[cfg(test)]
mod tests {
    named_enum! {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Colour {
            Red = "red",
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_none() {
        assert_eq!(Colour::ALL, [Colour::Red, Colour::DarkBlue]);
        for c in Colour::ALL {
            assert_eq!(Colour::from_name(c.as_str()), Some(c));
            assert_eq!(c.to_string(), c.as_str());
        }
        assert_eq!(Colour::DarkBlue.as_str(), "dark_blue");
        assert_eq!(Colour::from_name("Red"), None);
        assert_eq!(Colour::from_name(""), None);
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark_blue\""
        );
    }
}
