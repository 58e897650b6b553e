//! A host's schedule as stored: weekly opening hours, per-date overrides and blackout dates,
//! all in the host's own timezone. What they mean for availability is the booking module's job;
//! this file only keeps them.

use jiff::civil::{Date, Weekday};
use sqlx::any::AnyRow;

use super::Store;
use super::error::{StoreError, StoreResult};
use super::hosts::lock_host;
use super::ids::{AccountId, HostId};
use super::opening_ranges::{MinuteRange, WeeklyRange};
use super::opening_ranges::{RangeProblem, check_day_ranges, check_weekly_ranges};
use super::row;

/// A refused list of ranges as the store reports it, naming the range by its place.
fn refused(what: &'static str, problem: RangeProblem) -> StoreError {
    StoreError::invalid(what, format!("range {}: {}", problem.index, problem.message))
}

/// Ranges that replace one local date's weekly hours. No ranges means closed that date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateOverride {
    pub date: Date,
    pub ranges: Vec<MinuteRange>,
}

impl DateOverride {
    pub fn is_closed(&self) -> bool {
        self.ranges.is_empty()
    }
}

/// A local date on which the host takes no bookings at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blackout {
    pub date: Date,
    pub reason: Option<String>,
}

/// Weekdays are stored as 1 = Monday ... 7 = Sunday (ISO 8601).
pub(super) fn weekday_from_stored(number: i64) -> StoreResult<Weekday> {
    i8::try_from(number)
        .ok()
        .and_then(|n| Weekday::from_monday_one_offset(n).ok())
        .ok_or_else(|| StoreError::invalid("weekday", format!("{number} is not 1 (Monday) to 7 (Sunday)")))
}

fn minute_range(row: &AnyRow) -> StoreResult<MinuteRange> {
    Ok(MinuteRange {
        start_minute: row::count(row, "start_minute")?,
        end_minute: row::count(row, "end_minute")?,
    })
}

fn weekly_range(row: &AnyRow) -> StoreResult<WeeklyRange> {
    Ok(WeeklyRange {
        weekday: weekday_from_stored(row::int(row, "weekday")?)?,
        range: minute_range(row)?,
    })
}

fn blackout(row: &AnyRow) -> StoreResult<Blackout> {
    Ok(Blackout {
        date: row::date(row, "date")?,
        reason: row::opt_text(row, "reason")?,
    })
}

// Every schedule write starts with `lock_host` (hosts.rs): on PostgreSQL two writers of one
// host's schedule would otherwise both delete what was there before either inserted, and leave
// the union of their ranges.

impl Store {
    /// Replaces all of the host's weekly hours with `ranges`.
    pub async fn set_weekly_hours(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        ranges: &[WeeklyRange],
    ) -> StoreResult<()> {
        check_weekly_ranges(ranges).map_err(|problem| refused("weekly hours", problem))?;
        let mut tx = self.begin_write().await?;
        lock_host(&mut tx, account_id, host_id).await?;
        sqlx::query("DELETE FROM weekly_hours WHERE host_id = $1")
            .bind(host_id.as_str())
            .execute(&mut *tx)
            .await?;
        for weekly in ranges {
            sqlx::query("INSERT INTO weekly_hours (host_id, weekday, start_minute, end_minute) VALUES ($1, $2, $3, $4)")
                .bind(host_id.as_str())
                .bind(i64::from(weekly.weekday.to_monday_one_offset()))
                .bind(i64::from(weekly.range.start_minute))
                .bind(i64::from(weekly.range.end_minute))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The host's weekly hours, Monday first, each day's ranges by start.
    pub async fn weekly_hours(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
    ) -> StoreResult<Vec<WeeklyRange>> {
        let rows = sqlx::query(
            "SELECT w.weekday, w.start_minute, w.end_minute FROM weekly_hours w \
             JOIN hosts h ON h.id = w.host_id \
             WHERE h.account_id = $1 AND w.host_id = $2 ORDER BY w.weekday, w.start_minute",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, weekly_range)
    }

    /// Sets (or replaces) the override for one date; an override with no ranges closes the date.
    pub async fn set_date_override(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        date_override: &DateOverride,
    ) -> StoreResult<()> {
        check_day_ranges(&date_override.ranges).map_err(|problem| refused("date override", problem))?;
        let date = row::date_text(date_override.date);
        let mut tx = self.begin_write().await?;
        lock_host(&mut tx, account_id, host_id).await?;
        sqlx::query("DELETE FROM date_overrides WHERE host_id = $1 AND date = $2")
            .bind(host_id.as_str())
            .bind(&date)
            .execute(&mut *tx)
            .await?;
        if date_override.is_closed() {
            sqlx::query(
                "INSERT INTO date_overrides (host_id, date, start_minute, end_minute) VALUES ($1, $2, NULL, NULL)",
            )
            .bind(host_id.as_str())
            .bind(&date)
            .execute(&mut *tx)
            .await?;
        }
        for range in &date_override.ranges {
            sqlx::query("INSERT INTO date_overrides (host_id, date, start_minute, end_minute) VALUES ($1, $2, $3, $4)")
                .bind(host_id.as_str())
                .bind(&date)
                .bind(i64::from(range.start_minute))
                .bind(i64::from(range.end_minute))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Returns whether the date had an override.
    pub async fn remove_date_override(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        date: Date,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM date_overrides WHERE host_id = $2 AND date = $3 \
             AND host_id IN (SELECT id FROM hosts WHERE account_id = $1)",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .bind(row::date_text(date))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The host's overrides for dates in `from..=to`, by date.
    pub async fn date_overrides(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<DateOverride>> {
        let rows = sqlx::query(
            "SELECT o.date, o.start_minute, o.end_minute FROM date_overrides o \
             JOIN hosts h ON h.id = o.host_id \
             WHERE h.account_id = $1 AND o.host_id = $2 AND o.date >= $3 AND o.date <= $4 \
             ORDER BY o.date, o.start_minute",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .bind(row::date_text(from))
        .bind(row::date_text(to))
        .fetch_all(&self.pool)
        .await?;
        let mut overrides: Vec<DateOverride> = Vec::new();
        for row in &rows {
            let date = row::date(row, "date")?;
            let range = match row::opt_int(row, "start_minute")? {
                // The NULL row is the "closed" marker and carries no range.
                None => None,
                Some(_) => Some(minute_range(row)?),
            };
            match overrides.last_mut() {
                Some(last) if last.date == date => last.ranges.extend(range),
                _ => overrides.push(DateOverride {
                    date,
                    ranges: range.into_iter().collect(),
                }),
            }
        }
        Ok(overrides)
    }

    /// Closes the date (again: a second call replaces the reason).
    pub async fn add_blackout(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        blackout: &Blackout,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        lock_host(&mut tx, account_id, host_id).await?;
        sqlx::query(
            "INSERT INTO blackout_dates (host_id, date, reason) VALUES ($1, $2, $3) \
             ON CONFLICT (host_id, date) DO UPDATE SET reason = excluded.reason",
        )
        .bind(host_id.as_str())
        .bind(row::date_text(blackout.date))
        .bind(blackout.reason.as_deref())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Returns whether the date was blacked out.
    pub async fn remove_blackout(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        date: Date,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "DELETE FROM blackout_dates WHERE host_id = $2 AND date = $3 \
             AND host_id IN (SELECT id FROM hosts WHERE account_id = $1)",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .bind(row::date_text(date))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The host's blackout dates in `from..=to`, by date.
    pub async fn blackouts(
        &self,
        account_id: &AccountId,
        host_id: &HostId,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<Blackout>> {
        let rows = sqlx::query(
            "SELECT b.date, b.reason FROM blackout_dates b JOIN hosts h ON h.id = b.host_id \
             WHERE h.account_id = $1 AND b.host_id = $2 AND b.date >= $3 AND b.date <= $4 ORDER BY b.date",
        )
        .bind(account_id.as_str())
        .bind(host_id.as_str())
        .bind(row::date_text(from))
        .bind(row::date_text(to))
        .fetch_all(&self.pool)
        .await?;
        row::all(rows, blackout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_weekdays_are_iso_numbers() {
        assert_eq!(weekday_from_stored(1).unwrap(), Weekday::Monday);
        assert_eq!(weekday_from_stored(7).unwrap(), Weekday::Sunday);
        for bad in [0, 8, -1, 300] {
            assert!(weekday_from_stored(bad).is_err());
        }
    }
}
