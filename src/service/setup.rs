//! First start: the `admin` account, and the demo competition on an empty database.
use crate::auth::secret;
use crate::domain::input::Package;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, Db};
use std::collections::BTreeMap;

/// Creates the `admin` account when there is no account yet. Returns the password when
/// it was generated, so the caller can print it once.
pub async fn ensure_admin(db: &Db, password: Option<&str>) -> ApiResult<Option<String>> {
    if store::account::count(db).await? > 0 {
        return Ok(None);
    }
    let (password, generated) = match password {
        Some(p) if !p.is_empty() => (p.to_owned(), false),
        _ => (secret::new_password(), true),
    };
    let hash = secret::hash_password(&password).map_err(ApiError::internal_msg)?;
    store::account::insert(db, "admin", hash).await?;
    Ok(generated.then_some(password))
}

/// The demo competition (code `DEMO`): eight SCO delegations, four skills (a team skill
/// on the robust 700 scale, a 5-judge panel with trimmed means, a criteria tie-break, a
/// second standardised skill), two of them published and one still being marked.
pub fn demo_package() -> ApiResult<Package> {
    let mut package: Package =
        serde_json::from_str(include_str!("../../tests/fixtures/mini.json")).map_err(ApiError::internal)?;
    package.competition.code = "DEMO".into();
    package.competition.name = "Podium demo: SCO skills championship".into();
    let names: BTreeMap<&str, (&str, &str)> = BTreeMap::from([
        ("CHN", ("中国", "Китай")),
        ("RUS", ("俄罗斯", "Россия")),
        ("KAZ", ("哈萨克斯坦", "Казахстан")),
        ("KGZ", ("吉尔吉斯斯坦", "Киргизия")),
        ("TJK", ("塔吉克斯坦", "Таджикистан")),
        ("UZB", ("乌兹别克斯坦", "Узбекистан")),
        ("IND", ("印度", "Индия")),
        ("PAK", ("巴基斯坦", "Пакистан")),
    ]);
    for d in &mut package.delegations {
        if let Some((zh, ru)) = names.get(d.code.as_str()) {
            d.names = BTreeMap::from([
                ("en".into(), d.name.clone()),
                ("zh".into(), (*zh).into()),
                ("ru".into(), (*ru).into()),
            ]);
        }
    }
    let translated = |zh: &str, ru: &str| BTreeMap::from([("zh".into(), zh.into()), ("ru".into(), ru.into())]);
    package.competition.names =
        translated("Podium 演示：上合组织技能锦标赛", "Демо Podium: чемпионат ШОС по профмастерству");
    let skill_names: BTreeMap<&str, (&str, &str)> = BTreeMap::from([
        ("IR", ("工业机器人", "Промышленная робототехника")),
        ("NE", ("新能源汽车技术", "Технологии электромобилей")),
        ("AI", ("人工智能应用", "Прикладной искусственный интеллект")),
        ("CNC", ("数控铣", "Фрезерная обработка на станках с ЧПУ")),
    ]);
    for skill in &mut package.skills {
        if let Some((zh, ru)) = skill_names.get(skill.code.as_str()) {
            skill.names = translated(zh, ru);
        }
        for criterion in &mut skill.criteria {
            criterion.names = translated(&format!("模块 {}", criterion.code), &format!("Модуль {}", criterion.code));
            for aspect in &mut criterion.aspects {
                aspect.names = translated(&format!("评分项 {}", aspect.code), &format!("Аспект {}", aspect.code));
            }
        }
    }
    // Leave the last skill half-marked, so the board shows marking progress.
    let last = package.skills.last().map(|s| s.code.clone()).unwrap_or_default();
    let entries_of_last: Vec<String> =
        package.entries.iter().filter(|e| e.skill == last).map(|e| e.code.clone()).collect();
    let mut kept = 0;
    let total = package.marks.iter().filter(|m| entries_of_last.contains(&m.entry)).count();
    package.marks.retain(|m| {
        if !entries_of_last.contains(&m.entry) {
            return true;
        }
        kept += 1;
        kept <= total / 2
    });
    package.published = package.skills.iter().take(2).map(|s| s.code.clone()).collect();
    Ok(package)
}

pub async fn load_demo(db: &Db) -> ApiResult<()> {
    let package = demo_package()?;
    super::package::store(db, &package, "system:demo").await.map(|_| ())
}
