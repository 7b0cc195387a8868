//! Categories, agencies and staff response templates in the table: one partition
//! per list, so listing is a single Query (never a Scan), and admins can change them
//! without a deploy.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::table::{Item, ItemReader, PK, SK, StoreError, conditional, n, s, whole_partition};
use crate::domain::catalog::{Agency, Category, ResponseTemplate, TemplateUse};

const CATEGORY_PARTITION: &str = "CATALOG#CATEGORY";
const AGENCY_PARTITION: &str = "CATALOG#AGENCY";
const TEMPLATE_PARTITION: &str = "CATALOG#TEMPLATE";

/// Reference data in DynamoDB.
#[derive(Debug, Clone)]
pub struct CatalogStore {
    client: Client,
    table: String,
}

fn category_item(c: &Category) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(CATEGORY_PARTITION));
    item.insert(SK.into(), s(format!("C#{}", c.code)));
    item.insert("type".into(), s("category"));
    item.insert("code".into(), s(&c.code));
    item.insert("name".into(), s(&c.name));
    item.insert("group".into(), s(&c.group));
    item.insert("default_agency".into(), s(&c.default_agency));
    item.insert(
        "keywords".into(),
        AttributeValue::L(c.keywords.iter().map(s).collect()),
    );
    if let Some(tier) = &c.working_days
        && let Ok(json) = serde_json::to_string(tier)
    {
        item.insert("working_days".into(), s(json));
    }
    if !c.questions.is_empty()
        && let Ok(json) = serde_json::to_string(&c.questions)
    {
        item.insert("questions".into(), s(json));
    }
    item
}

fn category_from_item(item: &Item) -> Result<Category, StoreError> {
    let r = ItemReader(item);
    let keywords = item
        .get("keywords")
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
        .unwrap_or_default();
    Ok(Category {
        code: r.s("code")?.into(),
        name: r.s("name")?.into(),
        group: r.s("group")?.into(),
        default_agency: r.s("default_agency")?.into(),
        keywords,
        working_days: r.opt_json("working_days")?,
        questions: r.opt_json("questions")?.unwrap_or_default(),
    })
}

fn agency_item(a: &Agency) -> Result<Item, StoreError> {
    let kind = serde_json::to_value(a.kind).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = Item::new();
    item.insert(PK.into(), s(AGENCY_PARTITION));
    item.insert(SK.into(), s(format!("A#{}", a.id)));
    item.insert("type".into(), s("agency"));
    item.insert("id".into(), s(&a.id));
    item.insert("name".into(), s(&a.name));
    item.insert("kind".into(), s(kind.as_str().unwrap_or_default()));
    Ok(item)
}

fn agency_from_item(item: &Item) -> Result<Agency, StoreError> {
    let r = ItemReader(item);
    let kind = serde_json::from_value(serde_json::Value::String(r.s("kind")?.into()))
        .map_err(|e| StoreError::Corrupt(format!("agency kind: {e}")))?;
    Ok(Agency {
        id: r.s("id")?.into(),
        name: r.s("name")?.into(),
        kind,
    })
}

fn template_key(id: &str) -> [(String, AttributeValue); 2] {
    [
        (PK.into(), s(TEMPLATE_PARTITION)),
        (SK.into(), s(format!("T#{id}"))),
    ]
}

fn template_item(t: &ResponseTemplate) -> Item {
    let mut item = Item::from(template_key(&t.id));
    item.insert("type".into(), s("response_template"));
    item.insert("id".into(), s(&t.id));
    item.insert("title".into(), s(&t.title));
    item.insert("text".into(), s(&t.text));
    item.insert("used_for".into(), s(t.used_for.as_str()));
    item.insert("version".into(), n(t.version));
    if let Some(category) = &t.category {
        item.insert("category".into(), s(category));
    }
    item
}

fn template_from_item(item: &Item) -> Result<ResponseTemplate, StoreError> {
    let r = ItemReader(item);
    let used_for = r.s("used_for")?;
    Ok(ResponseTemplate {
        id: r.s("id")?.into(),
        title: r.s("title")?.into(),
        text: r.s("text")?.into(),
        category: r.opt_s("category").map(str::to_string),
        used_for: TemplateUse::parse(used_for)
            .ok_or_else(|| StoreError::Corrupt(format!("template use {used_for}")))?,
        version: r.n("version")?,
    })
}

impl CatalogStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn list(&self, partition: &str) -> Result<Vec<Item>, StoreError> {
        whole_partition(&self.client, &self.table, partition).await
    }

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Every category, ordered by code.
    pub async fn categories(&self) -> Result<Vec<Category>, StoreError> {
        self.list(CATEGORY_PARTITION)
            .await?
            .iter()
            .map(category_from_item)
            .collect()
    }

    /// Every agency, ordered by id.
    pub async fn agencies(&self) -> Result<Vec<Agency>, StoreError> {
        self.list(AGENCY_PARTITION)
            .await?
            .iter()
            .map(agency_from_item)
            .collect()
    }

    /// Creates or replaces a category (seeding, admin edits).
    pub async fn put_category(&self, category: &Category) -> Result<(), StoreError> {
        self.put(category_item(category)).await
    }

    /// Every response template, ordered by id (read fresh: an edit shows at once).
    pub async fn templates(&self) -> Result<Vec<ResponseTemplate>, StoreError> {
        self.list(TEMPLATE_PARTITION)
            .await?
            .iter()
            .map(template_from_item)
            .collect()
    }

    /// Saves `template`: a new one (version 1) only if its id is free, an edit only
    /// over the version it was read at (one less); else [`StoreError::Conflict`].
    pub async fn save_template(&self, template: &ResponseTemplate) -> Result<(), StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(template_item(template)));
        let request = if template.version <= 1 {
            request.condition_expression("attribute_not_exists(PK)")
        } else {
            request
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", n(template.version - 1))
        };
        conditional(request.send().await, StoreError::Conflict)
    }

    /// Deletes template `id` if it is still at `version`; else [`StoreError::Conflict`].
    pub async fn delete_template(&self, id: &str, version: u64) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Item::from(template_key(id))))
            .condition_expression("version = :seen")
            .expression_attribute_values(":seen", n(version))
            .send()
            .await;
        conditional(result, StoreError::Conflict)
    }

    /// Creates or replaces an agency.
    pub async fn put_agency(&self, agency: &Agency) -> Result<(), StoreError> {
        self.put(agency_item(agency)?).await
    }

    /// Every category with the version an admin's edit names (0: as seeded, never
    /// edited here).
    pub async fn categories_versioned(&self) -> Result<Vec<(Category, u64)>, StoreError> {
        self.list(CATEGORY_PARTITION)
            .await?
            .iter()
            .map(|item| Ok((category_from_item(item)?, version_of(item))))
            .collect()
    }

    /// Every agency with the version an admin's edit names.
    pub async fn agencies_versioned(&self) -> Result<Vec<(Agency, u64)>, StoreError> {
        self.list(AGENCY_PARTITION)
            .await?
            .iter()
            .map(|item| Ok((agency_from_item(item)?, version_of(item))))
            .collect()
    }

    /// Saves a category an admin edited over the version they saw (one conditional
    /// write; [`StoreError::Conflict`] if it changed meanwhile): its next version.
    pub async fn save_category(&self, category: &Category, seen: u64) -> Result<u64, StoreError> {
        self.save_versioned(category_item(category), seen).await
    }

    /// Saves an agency an admin edited over the version they saw, likewise.
    pub async fn save_agency(&self, agency: &Agency, seen: u64) -> Result<u64, StoreError> {
        self.save_versioned(agency_item(agency)?, seen).await
    }

    /// `item` as version `seen + 1`, written only if the stored one is still at `seen`
    /// (0: none, or a seeded one that was never edited).
    async fn save_versioned(&self, mut item: Item, seen: u64) -> Result<u64, StoreError> {
        let next = seen + 1;
        item.insert("version".into(), n(next));
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let request = if seen == 0 {
            request.condition_expression("attribute_not_exists(version)")
        } else {
            request
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", n(seen))
        };
        conditional(request.send().await, StoreError::Conflict)?;
        Ok(next)
    }
}

/// An item's edit version (0 where it has none: seeded).
fn version_of(item: &Item) -> u64 {
    ItemReader(item).n("version").unwrap_or(0)
}

/// How long a warm function trusts its cached reference lists (admin edits show
/// within this time).
pub const CATALOG_TTL: Duration = Duration::from_secs(300);

/// One cached value and when it was read (reference data in a warm function).
#[derive(Debug)]
pub(crate) struct Fresh<T>(Mutex<Option<(Instant, Arc<T>)>>);

impl<T> Fresh<T> {
    /// Empty: the first read goes to the table.
    pub(crate) fn new() -> Self {
        Self(Mutex::new(None))
    }

    /// The cached value while younger than `ttl`.
    pub(crate) fn get(&self, ttl: Duration) -> Option<Arc<T>> {
        let cache = self.0.lock().ok()?;
        let (at, value) = cache.as_ref()?;
        (at.elapsed() < ttl).then(|| value.clone())
    }

    /// Caches `value` as read now.
    pub(crate) fn put(&self, value: T) -> Arc<T> {
        let value = Arc::new(value);
        if let Ok(mut cache) = self.0.lock() {
            *cache = Some((Instant::now(), value.clone()));
        }
        value
    }

    /// Forgets the value, so the next read goes to the table.
    pub(crate) fn clear(&self) {
        if let Ok(mut cache) = self.0.lock() {
            *cache = None;
        }
    }
}

/// Categories and agencies cached in a warm function, so requests (and SQS batches)
/// do not query them every time.
#[derive(Debug)]
pub struct CatalogCache {
    store: CatalogStore,
    ttl: Duration,
    categories: Fresh<Vec<Category>>,
    agencies: Fresh<Vec<Agency>>,
}

impl CatalogCache {
    /// Caches `store`'s lists for [`CATALOG_TTL`].
    pub fn new(store: CatalogStore) -> Self {
        Self {
            store,
            ttl: CATALOG_TTL,
            categories: Fresh::new(),
            agencies: Fresh::new(),
        }
    }

    /// The store behind the cache (for what is read fresh: response templates).
    pub fn store(&self) -> &CatalogStore {
        &self.store
    }

    /// Forgets both lists, so this function's next read sees an admin's edit at once
    /// (other warm functions within [`CATALOG_TTL`]).
    pub fn invalidate(&self) {
        self.categories.clear();
        self.agencies.clear();
    }

    /// The categories, from the cache while it is fresh.
    pub async fn categories(&self) -> Result<Arc<Vec<Category>>, StoreError> {
        match self.categories.get(self.ttl) {
            Some(list) => Ok(list),
            None => Ok(self.categories.put(self.store.categories().await?)),
        }
    }

    /// The agencies, from the cache while it is fresh.
    pub async fn agencies(&self) -> Result<Arc<Vec<Agency>>, StoreError> {
        match self.agencies.get(self.ttl) {
            Some(list) => Ok(list),
            None => Ok(self.agencies.put(self.store.agencies().await?)),
        }
    }
}
