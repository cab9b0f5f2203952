//! Values written in files and records by name: the closed lists of names
//! (purposes, levels, states…) and the types with a text form of their own.

/// Implements `ALL`, `as_str`, `Display`, `FromStr` (failing with
/// [`UnknownValue`](crate::UnknownValue)) and serde (as the name) for a
/// fieldless enum, from a name per variant.
macro_rules! names {
    ($type:ident { $($variant:ident => $name:literal,)+ }) => {
        impl $type {
            /// Every value, in reference order.
            pub const ALL: &'static [$type] = &[$($type::$variant),+];

            /// The name used in files and records.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($type::$variant => $name,)+
                }
            }
        }

        impl std::fmt::Display for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $type {
            type Err = $crate::UnknownValue;

            fn from_str(text: &str) -> std::result::Result<Self, $crate::UnknownValue> {
                $type::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == text)
                    .ok_or_else(|| $crate::UnknownValue {
                        found: text.to_owned(),
                        expected: $type::ALL.iter().map(|value| value.as_str()).collect(),
                    })
            }
        }

        $crate::names::text_serde!($type);
    };
}
pub(crate) use names;

/// Implements serde for a type as its text: `Display` to write it, `FromStr`
/// to read it back, so a file and a record hold the same form.
macro_rules! text_serde {
    ($type:ty) => {
        impl serde::Serialize for $type {
            fn serialize<S: serde::Serializer>(
                &self,
                serializer: S,
            ) -> std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $type {
            fn deserialize<D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> std::result::Result<Self, D::Error> {
                let text = <String as serde::Deserialize>::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use text_serde;
