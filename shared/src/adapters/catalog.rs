//! Categories and agencies in the table: one partition per list, so listing is a
//! single Query (never a Scan), and admins can change them without a deploy.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use super::table::{Item, ItemReader, PK, SK, StoreError, s, whole_partition};
use crate::domain::catalog::{Agency, Category};

const CATEGORY_PARTITION: &str = "CATALOG#CATEGORY";
const AGENCY_PARTITION: &str = "CATALOG#AGENCY";

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

    /// Creates or replaces an agency.
    pub async fn put_agency(&self, agency: &Agency) -> Result<(), StoreError> {
        self.put(agency_item(agency)?).await
    }
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
