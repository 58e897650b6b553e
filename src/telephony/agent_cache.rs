//! The agent lookups of recent calls, kept for a short while so that every call does not
//! query the database for the same agent, and a database that is slow or briefly down does
//! not stop calls to agents just looked up.
//!
//! A map under a lock rather than a caching crate: entries are few (one per number called
//! recently), read once or twice per call (never per audio frame), and the rules that matter
//! are ours and tested with an explicit `now`: an entry lives `ttl`; every entry is forgotten
//! when the store's agents change (its `agents_version` moves), so a change made through this
//! instance (the API, the config file's sync) is seen by the next call; other instances'
//! changes are seen within `ttl`. Bounded: when full of live entries, new lookups are
//! answered but not kept until some expire.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a lookup was keyed by.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// The number called.
    Number(String),
    /// switchboard's agent id.
    Agent(String),
}

struct Entry<V> {
    value: V,
    expires: Instant,
}

struct Entries<V> {
    /// The store's agents version the entries were read at.
    version: u64,
    map: HashMap<CacheKey, Entry<V>>,
}

/// Recent lookups, each valid for `ttl` and while the agents' version stays the same.
pub struct AgentCache<V> {
    ttl: Duration,
    capacity: usize,
    entries: Mutex<Entries<V>>,
}

impl<V: Clone> AgentCache<V> {
    /// A zero `ttl` or `capacity` keeps nothing.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        AgentCache {
            ttl,
            capacity,
            entries: Mutex::new(Entries {
                version: 0,
                map: HashMap::new(),
            }),
        }
    }

    /// The value kept for `key`, if it is still valid at `now` and `version`.
    pub fn get(&self, key: &CacheKey, version: u64, now: Instant) -> Option<V> {
        let mut entries = self.entries.lock().expect("agent cache");
        if entries.version != version {
            // Versions only grow: a newer one makes every entry stale; an older one is a
            // reader that started before the change and keeps nothing.
            if version > entries.version {
                entries.map.clear();
                entries.version = version;
            }
            return None;
        }
        match entries.map.get(key) {
            Some(entry) if now < entry.expires => Some(entry.value.clone()),
            Some(_) => {
                entries.map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `value`, read from the store at `version` (read before the query, so a change
    /// made during it makes the entry stale at once).
    pub fn insert(&self, key: CacheKey, value: V, version: u64, now: Instant) {
        if self.ttl.is_zero() || self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().expect("agent cache");
        if entries.version != version {
            if version < entries.version {
                return;
            }
            entries.map.clear();
            entries.version = version;
        }
        if entries.map.len() >= self.capacity && !entries.map.contains_key(&key) {
            entries.map.retain(|_, entry| now < entry.expires);
            if entries.map.len() >= self.capacity {
                return;
            }
        }
        let expires = now + self.ttl;
        entries.map.insert(key, Entry { value, expires });
    }

    /// How many lookups are kept.
    pub fn len(&self) -> usize {
        self.entries.lock().expect("agent cache").map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(n: &str) -> CacheKey {
        CacheKey::Number(n.into())
    }

    #[test]
    fn an_entry_lives_its_ttl() {
        let cache = AgentCache::new(Duration::from_secs(5), 10);
        let t0 = Instant::now();
        cache.insert(number("+1"), "ava", 0, t0);
        assert_eq!(
            cache.get(&number("+1"), 0, t0 + Duration::from_secs(4)),
            Some("ava")
        );
        assert_eq!(cache.get(&number("+1"), 0, t0 + Duration::from_secs(5)), None);
        assert_eq!(cache.len(), 0, "an expired entry is dropped when found");
    }

    #[test]
    fn a_change_of_the_agents_forgets_everything() {
        let cache = AgentCache::new(Duration::from_secs(5), 10);
        let t0 = Instant::now();
        cache.insert(number("+1"), Some("ava"), 3, t0);
        cache.insert(CacheKey::Agent("a1".into()), Some("ava"), 3, t0);
        assert_eq!(cache.get(&number("+1"), 4, t0), None);
        assert_eq!(cache.len(), 0);
        // A lookup that started before the change is not kept after it.
        cache.insert(number("+1"), None, 3, t0);
        assert_eq!(cache.get(&number("+1"), 4, t0), None);
    }

    #[test]
    fn a_full_cache_keeps_no_more_until_entries_expire() {
        let cache = AgentCache::new(Duration::from_secs(5), 2);
        let t0 = Instant::now();
        cache.insert(number("+1"), 1, 0, t0);
        cache.insert(number("+2"), 2, 0, t0 + Duration::from_secs(1));
        cache.insert(number("+3"), 3, 0, t0 + Duration::from_secs(2));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get(&number("+3"), 0, t0 + Duration::from_secs(2)), None);
        // +1 has expired by then: its place goes to +3.
        cache.insert(number("+3"), 3, 0, t0 + Duration::from_secs(5));
        assert_eq!(cache.get(&number("+3"), 0, t0 + Duration::from_secs(5)), Some(3));
        assert_eq!(cache.get(&number("+2"), 0, t0 + Duration::from_secs(5)), Some(2));
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let cache = AgentCache::new(Duration::ZERO, 10);
        let t0 = Instant::now();
        cache.insert(number("+1"), 1, 0, t0);
        assert_eq!(cache.get(&number("+1"), 0, t0), None);
    }
}
