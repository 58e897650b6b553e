//! Reading the portable column encodings back into Rust types.
//!
//! Instants are stored as BIGINT milliseconds since the Unix epoch (UTC), flags as BIGINT 0/1,
//! civil dates as TEXT `YYYY-MM-DD`, minute counts as BIGINT. A stored value that does not fit
//! its encoding is reported as `StoreError::Invalid` naming the column, never as a panic.

use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::error::{StoreError, StoreResult};

/// An instant in its stored form. Sub-millisecond precision is dropped.
pub(crate) fn millis(instant: Timestamp) -> i64 {
    instant.as_millisecond()
}

/// Durations are stored in whole milliseconds; anything past i64 is clamped (292 million years).
pub(crate) fn duration_ms(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// The instant as it will read back: truncated to whole milliseconds.
pub(crate) fn stored_precision(instant: Timestamp) -> Timestamp {
    Timestamp::from_millisecond(instant.as_millisecond()).expect("a truncated instant stays in range")
}

/// The current instant, already truncated to what the database keeps, so a returned row
/// compares equal to the same row read back.
pub(crate) fn now() -> Timestamp {
    stored_precision(Timestamp::now())
}

/// A civil date in its stored form, which sorts as text in date order for years 0000-9999.
pub(crate) fn date_text(date: Date) -> String {
    date.to_string()
}

pub(crate) fn text(row: &AnyRow, column: &'static str) -> StoreResult<String> {
    Ok(row.try_get::<String, _>(column)?)
}

pub(crate) fn opt_text(row: &AnyRow, column: &'static str) -> StoreResult<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(column)?)
}

pub(crate) fn int(row: &AnyRow, column: &'static str) -> StoreResult<i64> {
    Ok(row.try_get::<i64, _>(column)?)
}

pub(crate) fn opt_int(row: &AnyRow, column: &'static str) -> StoreResult<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(column)?)
}

pub(crate) fn flag(row: &AnyRow, column: &'static str) -> StoreResult<bool> {
    match int(row, column)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(StoreError::invalid(
            column,
            format!("flag is {other}, not 0 or 1"),
        )),
    }
}

pub(crate) fn instant_from_millis(column: &'static str, ms: i64) -> StoreResult<Timestamp> {
    Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::invalid(column, format!("{ms} ms is not an instant: {e}")))
}

pub(crate) fn instant(row: &AnyRow, column: &'static str) -> StoreResult<Timestamp> {
    instant_from_millis(column, int(row, column)?)
}

pub(crate) fn opt_instant(row: &AnyRow, column: &'static str) -> StoreResult<Option<Timestamp>> {
    opt_int(row, column)?
        .map(|ms| instant_from_millis(column, ms))
        .transpose()
}

pub(crate) fn date(row: &AnyRow, column: &'static str) -> StoreResult<Date> {
    let stored = text(row, column)?;
    parse_date(column, &stored)
}

pub(crate) fn parse_date(column: &'static str, stored: &str) -> StoreResult<Date> {
    // jiff also accepts forms with a time part; only the exact date form is ours.
    if stored.len() != 10 {
        return Err(StoreError::invalid(
            column,
            format!("{stored:?} is not a YYYY-MM-DD date"),
        ));
    }
    stored
        .parse()
        .map_err(|e| StoreError::invalid(column, format!("{stored:?} is not a date: {e}")))
}

/// A non-negative count (minutes, a limit) that must fit the Rust type it is read into.
pub(crate) fn count<T: TryFrom<i64>>(row: &AnyRow, column: &'static str) -> StoreResult<T> {
    fits(column, int(row, column)?)
}

pub(crate) fn opt_count<T: TryFrom<i64>>(row: &AnyRow, column: &'static str) -> StoreResult<Option<T>> {
    opt_int(row, column)?.map(|value| fits(column, value)).transpose()
}

fn fits<T: TryFrom<i64>>(column: &'static str, value: i64) -> StoreResult<T> {
    T::try_from(value).map_err(|_| StoreError::invalid(column, format!("{value} is out of range")))
}

/// A row that must exist: absent means `NotFound { what }`.
pub(crate) fn required<T>(
    row: Option<AnyRow>,
    what: &'static str,
    decode: fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<T> {
    row.as_ref()
        .map(decode)
        .transpose()?
        .ok_or(StoreError::NotFound { what })
}

pub(crate) fn optional<T>(
    row: Option<AnyRow>,
    decode: fn(&AnyRow) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    row.as_ref().map(decode).transpose()
}

pub(crate) fn all<T>(rows: Vec<AnyRow>, decode: fn(&AnyRow) -> StoreResult<T>) -> StoreResult<Vec<T>> {
    rows.iter().map(decode).collect()
}

/// Text columns that hold one of a fixed set of words (status, mode, direction).
pub(crate) trait StoredWord: Sized {
    fn as_stored(&self) -> &'static str;
    fn from_stored(word: &str) -> Option<Self>;
}

pub(crate) fn word<T: StoredWord>(row: &AnyRow, column: &'static str) -> StoreResult<T> {
    let stored = text(row, column)?;
    T::from_stored(&stored).ok_or_else(|| StoreError::invalid(column, format!("unknown value {stored:?}")))
}

pub(crate) fn opt_word<T: StoredWord>(row: &AnyRow, column: &'static str) -> StoreResult<Option<T>> {
    opt_text(row, column)?
        .map(|stored| {
            T::from_stored(&stored)
                .ok_or_else(|| StoreError::invalid(column, format!("unknown value {stored:?}")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_must_be_exactly_year_month_day() {
        assert_eq!(
            parse_date("date", "2026-03-08").unwrap(),
            jiff::civil::date(2026, 3, 8)
        );
        for bad in ["2026-3-8", "2026-02-30", "2026-03-08T00:00", "", "yesterday"] {
            assert!(
                matches!(
                    parse_date("date", bad),
                    Err(StoreError::Invalid { what: "date", .. })
                ),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn out_of_range_millis_are_invalid_not_a_panic() {
        assert!(matches!(
            instant_from_millis("start_at", i64::MAX),
            Err(StoreError::Invalid { .. })
        ));
    }

    proptest! {
        #[test]
        fn stored_dates_read_back_unchanged(days in 0i64..3_652_000) {
            let date = jiff::civil::date(0, 1, 1).checked_add(jiff::Span::new().days(days)).unwrap();
            prop_assert_eq!(parse_date("date", &date_text(date)).unwrap(), date);
        }

        #[test]
        fn stored_instants_read_back_at_millisecond_precision(ms in -62_000_000_000_000i64..250_000_000_000_000) {
            let instant = instant_from_millis("at", ms).unwrap();
            prop_assert_eq!(millis(instant), ms);
        }
    }
}
