//! Matching for the public "Our doctors" directory search box.
//!
//! The search runs in the browser on every keystroke, so it is a pure function over the
//! already loaded list. It is forgiving the way people expect: case and common accents
//! are ignored, and every word typed must appear somewhere (name or specialty).

/// A doctor's name as patients and staff read it ("Dr. Ada Okafor"). The same rule is the
/// database function `doctor_display_name` (migration 017) that queries use.
pub fn doctor_display_name(first_name: &str, last_name: &str) -> String {
    format!("Dr. {first_name} {last_name}")
}

/// Lowercases `text` and folds common Latin accented letters to their base letter, so
/// "José" matches "jose".
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => 'a',
            'ç' | 'ć' | 'č' => 'c',
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => 'e',
            'ì' | 'í' | 'î' | 'ï' | 'ī' => 'i',
            'ñ' | 'ń' | 'ň' => 'n',
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => 'o',
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => 'u',
            'ý' | 'ÿ' => 'y',
            'ś' | 'š' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'ł' => 'l',
            other => other,
        })
        .collect()
}

/// True when every whitespace-separated word of `query` occurs (after [`fold`]) in at
/// least one of `fields`. An empty or blank query matches everything.
pub fn matches_query(query: &str, fields: &[&str]) -> bool {
    let folded_fields: Vec<String> = fields.iter().map(|f| fold(f)).collect();
    fold(query)
        .split_whitespace()
        .all(|word| folded_fields.iter().any(|field| field.contains(word)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn blank_query_matches_everything() {
        assert!(matches_query("", &["Ada Okafor", "Cardiology"]));
        assert!(matches_query("   ", &["Ada Okafor"]));
    }

    #[test]
    fn case_and_accents_are_ignored() {
        assert!(matches_query("jose", &["José Martínez", "Family medicine"]));
        assert!(matches_query(
            "MARTINEZ",
            &["José Martínez", "Family medicine"]
        ));
        assert!(matches_query(
            "martínez",
            &["Jose Martinez", "Family medicine"]
        ));
    }

    #[test]
    fn every_word_must_match_some_field() {
        let fields = ["Ada Okafor", "Cardiology"];
        assert!(matches_query("ada cardio", &fields));
        assert!(!matches_query("ada pediatrics", &fields));
        assert!(!matches_query("zed", &fields));
    }

    proptest! {
        #[test]
        fn any_substring_of_a_field_matches(name in "[a-zA-Z ]{1,30}", start in 0usize..30, len in 1usize..10) {
            let start = start.min(name.len() - 1);
            let end = (start + len).min(name.len());
            let needle = &name[start..end];
            prop_assert!(matches_query(needle, &[&name]));
        }

        #[test]
        fn folding_is_idempotent(text in "\\PC{0,40}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once);
        }
    }
}
