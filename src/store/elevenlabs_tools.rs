//! The ids of an account's ElevenLabs workspace tools, by tool name: kept once they are
//! created, replaced when a tool is created again, forgotten when its creation is undone.

use std::collections::BTreeMap;

use super::Store;
use super::error::StoreResult;
use super::ids::AccountId;
use super::row;

impl Store {
    /// The account's tool ids by tool name.
    pub async fn elevenlabs_tools(&self, account_id: &AccountId) -> StoreResult<BTreeMap<String, String>> {
        let rows = sqlx::query("SELECT tool_name, tool_id FROM elevenlabs_tools WHERE account_id = $1")
            .bind(account_id.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((row::text(r, "tool_name")?, row::text(r, "tool_id")?)))
            .collect()
    }

    /// Keeps `tool_id` as the account's tool `tool_name`, replacing the one kept before.
    pub async fn set_elevenlabs_tool(
        &self,
        account_id: &AccountId,
        tool_name: &str,
        tool_id: &str,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO elevenlabs_tools (account_id, tool_name, tool_id, created_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_id, tool_name) DO UPDATE SET tool_id = $3, created_at = $4",
        )
        .bind(account_id.as_str())
        .bind(tool_name)
        .bind(tool_id)
        .bind(row::millis(row::now()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets the account's tool `tool_name` if it is still `tool_id`; whether it was.
    pub async fn forget_elevenlabs_tool(
        &self,
        account_id: &AccountId,
        tool_name: &str,
        tool_id: &str,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM elevenlabs_tools WHERE account_id = $1 AND tool_name = $2 AND tool_id = $3",
        )
        .bind(account_id.as_str())
        .bind(tool_name)
        .bind(tool_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing;

    #[tokio::test]
    async fn a_tool_id_is_kept_replaced_and_forgotten_only_while_it_is_the_same() {
        testing::on_each_backend(|store| async move {
            let account = testing::other_account(&store).await.id;
            let other = testing::other_account(&store).await.id;
            assert!(store.elevenlabs_tools(&account).await.unwrap().is_empty());
            store
                .set_elevenlabs_tool(&account, "create_booking", "tool_1")
                .await
                .unwrap();
            store
                .set_elevenlabs_tool(&other, "create_booking", "tool_9")
                .await
                .unwrap();
            store
                .set_elevenlabs_tool(&account, "create_booking", "tool_2")
                .await
                .unwrap();
            let kept = store.elevenlabs_tools(&account).await.unwrap();
            assert_eq!(kept.get("create_booking").map(String::as_str), Some("tool_2"));
            assert_eq!(kept.len(), 1);
            assert!(
                !store
                    .forget_elevenlabs_tool(&account, "create_booking", "tool_1")
                    .await
                    .unwrap(),
                "a replaced id is not the kept one"
            );
            assert!(
                store
                    .forget_elevenlabs_tool(&account, "create_booking", "tool_2")
                    .await
                    .unwrap()
            );
            assert!(store.elevenlabs_tools(&account).await.unwrap().is_empty());
            assert_eq!(store.elevenlabs_tools(&other).await.unwrap().len(), 1);
        })
        .await;
    }
}
