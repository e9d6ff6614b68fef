//! Names in every language: a thing's default `name` plus optional translations keyed by
//! language tag (`{"zh": "工业机器人", "ru": "Промышленная робототехника"}`). The viewer's
//! language picks the translation, the default name stands in for a missing one.
use super::offence::Offences;
use crate::error::ErrorCode;
use std::collections::BTreeMap;

/// Translations by language tag; `en` may be given too (else the default name is English).
pub type Names = BTreeMap<String, String>;

/// The languages the interface speaks, so the only ones a translation may be for.
pub const LANGUAGES: [&str; 3] = ["en", "zh", "ru"];

/// The translation for `lang`, else the default name.
pub fn local<'a>(name: &'a str, names: &'a Names, lang: &str) -> &'a str {
    names.get(lang).map_or(name, String::as_str)
}

impl Offences {
    /// Validated translations: known language tags only, each a non-empty text of at most
    /// `max` characters (trimmed). Offences are named under `{pointer}/{tag}`.
    pub fn names(&mut self, pointer: &str, names: &Names, max: usize) -> Names {
        let mut valid = Names::new();
        for (tag, text) in names {
            let at = format!("{pointer}/{tag}");
            if !LANGUAGES.contains(&tag.as_str()) {
                let detail = format!("'{tag}' is not one of: {}", LANGUAGES.join(", "));
                self.push(at, ErrorCode::UnknownLanguage, detail);
                continue;
            }
            let before = self.len();
            let text = self.text(&at, text, max);
            if self.len() == before {
                valid.insert(tag.clone(), text);
            }
        }
        valid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pairs: &[(&str, &str)]) -> Names {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn known_languages_with_text_are_kept_trimmed() {
        let mut offences = Offences::default();
        let valid = offences.names("/names", &names(&[("zh", " 工业机器人 "), ("ru", "Робототехника")]), 200);
        assert!(offences.is_empty());
        assert_eq!(valid, names(&[("zh", "工业机器人"), ("ru", "Робототехника")]));
    }

    #[test]
    fn unknown_tags_and_empty_texts_are_each_named() {
        let mut offences = Offences::default();
        offences.names("/skills/0/names", &names(&[("de", "Robotik"), ("zh", "  "), ("ru", "ок")]), 200);
        let found: Vec<(String, ErrorCode)> = offences.0.iter().map(|e| (e.pointer.clone(), e.code)).collect();
        assert_eq!(
            found,
            [
                ("/skills/0/names/de".to_owned(), ErrorCode::UnknownLanguage),
                ("/skills/0/names/zh".to_owned(), ErrorCode::Required)
            ]
        );
    }

    #[test]
    fn the_default_name_stands_in_for_a_missing_translation() {
        let n = names(&[("zh", "中国")]);
        assert_eq!(local("China", &n, "zh"), "中国");
        assert_eq!(local("China", &n, "ru"), "China");
    }
}
