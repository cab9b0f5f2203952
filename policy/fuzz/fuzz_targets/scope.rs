//! Any text either fails to parse with a column inside it, or parses to a
//! scope that prints back, in both forms, to text that parses to it again.

#![no_main]

use libfuzzer_sys::fuzz_target;
use officine_policy::Scope;

fuzz_target!(|text: &str| {
    match text.parse::<Scope>() {
        Ok(scope) => {
            assert_eq!(scope.to_string().parse::<Scope>(), Ok(scope));
            assert_eq!(scope.canonical().to_string().parse::<Scope>(), Ok(scope));
        }
        Err(error) => {
            assert!(error.column() >= 1);
            assert!(error.column() <= text.chars().count() + 1);
        }
    }
});
