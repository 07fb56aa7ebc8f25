//! The routes: Leaf's, Tinyid's, the native `/v1/…` ones and operations.
//!
//! Every answer that is not an ID is `{"code":…, "message":…}` with the
//! core's codes: 400 bad input, 401/403 `unauthorized`, 404 `not_found`,
//! 503 for everything the instance cannot do now (store down, lease ended,
//! fence reached, segment dry) — another instance may. Tinyid's routes keep
//! Tinyid's body shape on errors too (see the README's differences).

use crate::app::App;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use idloom::{Clock, Error, ErrorCode, Result, SystemClock};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

type Shared = State<Arc<App>>;
type Params = Query<HashMap<String, String>>;

const TEXT: &str = "text/plain;charset=UTF-8";
const JSON: &str = "application/json";

/// Every route.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        // Leaf (any method, as Leaf's unannotated mappings)
        .route("/api/snowflake/get/{key}", any(leaf_snowflake))
        .route("/api/segment/get/{key}", any(leaf_segment))
        .route("/decodeSnowflakeId", any(leaf_decode))
        // Tinyid (server.context-path=/tinyid)
        .route("/tinyid/id/nextId", any(tinyid_next_id))
        .route("/tinyid/id/nextIdSimple", any(tinyid_next_id_simple))
        .route("/tinyid/id/nextSegmentId", any(tinyid_next_segment_id))
        .route("/tinyid/id/nextSegmentIdSimple", any(tinyid_next_segment_id_simple))
        // native
        .route("/v1/snowflake/{namespace}", get(v1_snowflake))
        .route("/v1/segment/{tag}", get(v1_segment))
        .route("/v1/segment/{tag}/lease", post(v1_segment_lease))
        .route("/v1/uuid7", get(v1_uuid7))
        .route("/v1/decode/{id}", get(v1_decode))
        .route("/v1/status", get(status))
        // operations
        .route("/healthz", get(|| async { (StatusCode::OK, [(header::CONTENT_TYPE, TEXT)], "ok") }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(|| async { failure(&Error::store(ErrorCode::NotFound, "no such route".into())) })
        .with_state(app)
}

/// A path segment; one that is not UTF-8 is `invalid_argument` in our
/// JSON, not axum's plain-text rejection.
struct Param(String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Param {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> std::result::Result<Self, Response> {
        match <Path<String> as FromRequestParts<S>>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(Param(value)),
            Err(e) => Err(failure(&Error::store(
                ErrorCode::InvalidArgument,
                format!("path: {}", e.body_text()),
            ))),
        }
    }
}

// ---- answers ------------------------------------------------------------------

/// The HTTP status of an error.
pub fn status_of(e: &Error) -> StatusCode {
    match e.code() {
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Unauthorized => auth_status(e),
        c if c.is_bad_input() => StatusCode::BAD_REQUEST,
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The JSON error answer.
fn failure(e: &Error) -> Response {
    failure_as(status_of(e), e)
}

fn failure_as(status: StatusCode, e: &Error) -> Response {
    let body = json!({ "code": e.code().as_str(), "message": e.to_string() });
    (status, [(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
}

fn text(body: String) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, TEXT)], body).into_response()
}

fn json_ok(body: &Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, JSON)], body.to_string()).into_response()
}

/// Count a request in the metrics and hand its answer on.
fn counted(app: &App, route: &'static str, began: Instant, answer: Result<(Response, u64)>) -> Response {
    match answer {
        Ok((response, ids)) => {
            app.metrics.answered(route, "ok", ids, began.elapsed());
            response
        }
        Err(e) => {
            app.metrics.answered(route, e.code().as_str(), 0, began.elapsed());
            failure(&e)
        }
    }
}

// ---- tokens -------------------------------------------------------------------

const MISSING: &str = "a token is required (header Authorization: Bearer TOKEN, or the token query parameter)";
const WRONG: &str = "the token does not match";

/// 401 for a missing token, 403 for a wrong one.
fn auth_status(e: &Error) -> StatusCode {
    if e.to_string().contains(WRONG) {
        StatusCode::FORBIDDEN
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// The `Authorization: Bearer …` token of a request, if any (only that
/// header is read: no copy of the others).
struct Auth(Option<String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Auth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> std::result::Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string());
        Ok(Auth(bearer))
    }
}

/// The token a request carries: `Authorization: Bearer T`, or `?token=T`.
fn given_token<'a>(auth: &'a Auth, params: &'a HashMap<String, String>) -> Option<&'a str> {
    auth.0
        .as_deref()
        .or_else(|| params.get("token").map(String::as_str))
        .filter(|t| !t.is_empty())
}

/// `Ok` when `required` is none or `given` matches it (in constant time).
fn check_token(what: &str, required: Option<&str>, given: Option<&str>) -> Result<()> {
    let Some(required) = required else { return Ok(()) };
    match given {
        None => Err(Error::store(ErrorCode::Unauthorized, format!("{what}: {MISSING}"))),
        Some(g) if bool::from(g.as_bytes().ct_eq(required.as_bytes())) => Ok(()),
        Some(_) => Err(Error::store(ErrorCode::Unauthorized, format!("{what}: {WRONG}"))),
    }
}

fn tag_token(app: &App, tag: &str, auth: &Auth, params: &HashMap<String, String>) -> Result<()> {
    check_token(
        &format!("biz_tag {tag:?}"),
        app.config.tokens.get(tag).map(String::as_str),
        given_token(auth, params),
    )
}

fn snowflake_token(app: &App, auth: &Auth, params: &HashMap<String, String>) -> Result<()> {
    check_token("snowflake", app.config.snowflake_token.as_deref(), given_token(auth, params))
}

// ---- parameters ---------------------------------------------------------------

/// An integer parameter in `min..=max`, `default` when absent.
fn number(params: &HashMap<String, String>, name: &'static str, default: u64, min: u64, max: u64) -> Result<u64> {
    let Some(raw) = params.get(name) else { return Ok(default) };
    let value: i128 = raw.trim().parse().map_err(|_| {
        Error::store(
            ErrorCode::InvalidArgument,
            format!("{name} must be an integer in {min}..={max}, got {raw:?}"),
        )
    })?;
    if value < i128::from(min) || value > i128::from(max) {
        return Err(Error::range(ErrorCode::InvalidArgument, name, value, min, max));
    }
    Ok(value as u64)
}

fn count(app: &App, params: &HashMap<String, String>, name: &'static str) -> Result<usize> {
    Ok(number(params, name, 1, 1, app.config.max_count)? as usize)
}

/// `format=string` (default: decimal strings, which JavaScript never rounds) or `format=number`.
fn as_numbers(params: &HashMap<String, String>) -> Result<bool> {
    match params.get("format").map(String::as_str) {
        None | Some("string") => Ok(false),
        Some("number") => Ok(true),
        Some(other) => Err(Error::store(
            ErrorCode::InvalidArgument,
            format!("format must be \"string\" or \"number\", got {other:?}"),
        )),
    }
}

/// `{"ids":[…]}`: decimal strings (or numbers), written directly.
fn ids_body(ids: &[u64], numbers: bool) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(10 + ids.len() * 23);
    out.push_str("{\"ids\":[");
    for (k, id) in ids.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        // Writing into a String cannot fail.
        let _ = if numbers { write!(out, "{id}") } else { write!(out, "\"{id}\"") };
    }
    out.push_str("]}");
    out
}

// ---- minting ------------------------------------------------------------------

/// `count` snowflake IDs from the fenced generator, waiting on the tokio
/// timer where the policy says to wait (a tick's sequence used up), for at
/// most 10 s in all (`would_block`).
async fn snowflakes(app: &App, count: usize) -> Result<Vec<u64>> {
    let lease = app.live.lease();
    let generator = lease.generator();
    let mut out = vec![0u64; count];
    let mut done = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while done < count {
        let (n, retry) = generator.fill_at(SystemClock.now_ms(), &mut out[done..])?;
        done += n;
        if done == count {
            break;
        }
        if let Some(at) = retry {
            let ahead = at.saturating_sub(SystemClock.now_ms());
            let wait = Duration::from_millis(ahead.max(1));
            if tokio::time::Instant::now() + wait > deadline {
                return Err(Error::reason(
                    ErrorCode::WouldBlock,
                    "count",
                    "the generator kept asking to wait for 10 s",
                ));
            }
            if ahead <= 1 {
                // The next tick (a tick's sequence ran out): the timer would
                // overshoot by up to a millisecond, so yield to other tasks
                // and read the clock again (bounded by the deadline above).
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(wait).await;
            }
        }
    }
    Ok(out)
}

async fn segment_ids(app: &App, tag: &str, count: usize) -> Result<Vec<u64>> {
    idloom::inputs::biz_tag(tag).map_err(|_| Error::store(ErrorCode::NotFound, format!("biz_tag {tag:?} is not served here")))?;
    let tag = app.live.tag(tag)?;
    let mut out = Vec::with_capacity(count);
    tag.next_ids(count, &mut out).await?;
    Ok(out)
}

// ---- Leaf ---------------------------------------------------------------------

async fn leaf_snowflake(State(app): Shared, Param(_key): Param, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = async {
        snowflake_token(&app, &auth, &q)?;
        let id = snowflakes(&app, 1).await?[0];
        Ok((text(id.to_string()), 1))
    };
    counted(&app, "leaf_snowflake", began, answer.await)
}

async fn leaf_segment(State(app): Shared, Param(key): Param, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = async {
        app.live.tag(&key)?;
        tag_token(&app, &key, &auth, &q)?;
        let id = segment_ids(&app, &key, 1).await?[0];
        Ok((text(id.to_string()), 1))
    };
    counted(&app, "leaf_segment", began, answer.await)
}

/// Leaf's monitor: `{"workerId":"…","sequenceId":"…","timestamp":"MS(yyyy-MM-dd HH:mm:ss.SSS)"}`
/// (UTC; Leaf uses the JVM's zone), or Leaf's `errorMsg` for a non-number.
async fn leaf_decode(State(app): Shared, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = async {
        let Some(raw) = q.get("snowflakeId") else {
            return Err(Error::reason(ErrorCode::InvalidArgument, "snowflakeId", "required"));
        };
        let body = match raw.parse::<u64>().ok().map(|id| app.config.layout.decompose(id)) {
            Some(Ok(p)) => format!(
                "{{\"workerId\":\"{}\",\"sequenceId\":\"{}\",\"timestamp\":\"{}({})\"}}",
                p.node,
                p.sequence,
                p.timestamp_ms,
                civil(p.timestamp_ms, ' ')
            ),
            _ => "{\"errorMsg\":\"snowflake Id反解析发生异常!\"}".to_string(),
        };
        Ok(((StatusCode::OK, [(header::CONTENT_TYPE, JSON)], body).into_response(), 0))
    };
    counted(&app, "leaf_decode", began, answer.await)
}

/// `yyyy-MM-dd HH:mm:ss.SSS` in UTC, with `sep` between date and time (`T` for ISO 8601).
fn civil(ms: u64, sep: char) -> String {
    let c = idloom::civil::from_unix_ms(ms);
    format!(
        "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}.{:03}",
        c.year, c.month, c.day, c.hour, c.minute, c.second, c.milli
    )
}

// ---- Tinyid -------------------------------------------------------------------

/// Tinyid's `Response`: `{"data":…,"code":200,"message":""}`; on an error
/// `data` is null, `code` Tinyid's (5: token, 6: anything else) and the
/// HTTP status ours.
fn tinyid(answer: Result<(String, u64)>) -> (Response, u64, Option<Error>) {
    match answer {
        Ok((data, n)) => (json_text(StatusCode::OK, tinyid_body(&data, 200, "")), n, None),
        Err(e) => {
            let (status, code, message) = match e.code() {
                ErrorCode::Unauthorized => (status_of(&e), 5, "token is error".to_string()),
                _ => (status_of(&e), 6, format!("{}: {e}", e.code().as_str())),
            };
            (json_text(status, tinyid_body("null", code, &message)), 0, Some(e))
        }
    }
}

/// Tinyid's field order (`data`, `code`, `message`: its class's), which a map would not keep.
fn tinyid_body(data: &str, code: u16, message: &str) -> String {
    format!(
        "{{\"data\":{data},\"code\":{code},\"message\":{}}}",
        Value::String(message.to_string())
    )
}

fn json_text(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, JSON)], body).into_response()
}

/// Tinyid's `…Simple` routes: the text, or an empty body with the error status.
fn tinyid_simple(answer: Result<String>) -> (Response, u64, Option<Error>) {
    match answer {
        Ok(body) => {
            let n = if body.is_empty() { 0 } else { body.split(',').count() as u64 };
            (text(body), n, None)
        }
        Err(e) => (
            (status_of(&e), [(header::CONTENT_TYPE, TEXT)], String::new()).into_response(),
            0,
            Some(e),
        ),
    }
}

fn tinyid_counted(app: &App, route: &'static str, began: Instant, (response, ids, error): (Response, u64, Option<Error>)) -> Response {
    let outcome = error.as_ref().map_or("ok", |e| e.code().as_str());
    app.metrics.answered(route, outcome, ids, began.elapsed());
    response
}

/// The bizType of a Tinyid request, served and with its token.
fn tinyid_tag<'a>(app: &App, auth: &Auth, q: &'a HashMap<String, String>) -> Result<&'a str> {
    let tag = q.get("bizType").map(String::as_str).unwrap_or("");
    if tag.is_empty() {
        return Err(Error::reason(ErrorCode::InvalidArgument, "bizType", "required"));
    }
    app.live.tag(tag)?;
    tag_token(app, tag, auth, q)?;
    Ok(tag)
}

async fn tinyid_ids(app: &App, auth: &Auth, q: &HashMap<String, String>) -> Result<Vec<u64>> {
    let tag = tinyid_tag(app, auth, q)?;
    let n = count(app, q, "batchSize")?;
    segment_ids(app, tag, n).await
}

async fn tinyid_next_id(State(app): Shared, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = tinyid_ids(&app, &auth, &q)
        .await
        .map(|ids| (json!(ids).to_string(), ids.len() as u64));
    tinyid_counted(&app, "tinyid_next_id", began, tinyid(answer))
}

async fn tinyid_next_id_simple(State(app): Shared, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = tinyid_ids(&app, &auth, &q).await.map(|ids| {
        let strings: Vec<String> = ids.iter().map(u64::to_string).collect();
        strings.join(",")
    });
    tinyid_counted(&app, "tinyid_next_id_simple", began, tinyid_simple(answer))
}

/// Tinyid's `SegmentId` for a range `[start, end)` of the configured step:
/// IDs are `(currentId, maxId]`, the client loads the next at `loadingId`.
fn segment_id(start: u64, end: u64) -> (i128, i128, i128) {
    let current = i128::from(start) - 1;
    let max = i128::from(end) - 1;
    let loading = current + (max - current) * 20 / 100;
    (current, loading, max)
}

async fn tinyid_range(app: &App, auth: &Auth, q: &HashMap<String, String>) -> Result<(u64, u64)> {
    let tag = tinyid_tag(app, auth, q)?;
    let range = app.live.tag(tag)?.lease(app.config.segment_step).await?;
    Ok((range.start, range.end))
}

async fn tinyid_next_segment_id(State(app): Shared, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = tinyid_range(&app, &auth, &q).await.map(|(start, end)| {
        let (current, loading, max) = segment_id(start, end);
        let data = format!("{{\"maxId\":{max},\"loadingId\":{loading},\"currentId\":{current},\"delta\":1,\"remainder\":0}}");
        (data, (max - current) as u64)
    });
    tinyid_counted(&app, "tinyid_next_segment_id", began, tinyid(answer))
}

async fn tinyid_next_segment_id_simple(State(app): Shared, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = tinyid_range(&app, &auth, &q).await.map(|(start, end)| {
        let (current, loading, max) = segment_id(start, end);
        format!("{current},{loading},{max},1,0")
    });
    let (response, _, error) = tinyid_simple(answer);
    let ids = if error.is_none() { app.config.segment_step } else { 0 };
    tinyid_counted(&app, "tinyid_next_segment_id_simple", began, (response, ids, error))
}

// ---- native -------------------------------------------------------------------

async fn v1_snowflake(State(app): Shared, Param(namespace): Param, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = async {
        if namespace != app.config.namespace {
            return Err(Error::store(
                ErrorCode::NotFound,
                format!("namespace {namespace:?} is not served here"),
            ));
        }
        snowflake_token(&app, &auth, &q)?;
        let n = count(&app, &q, "count")?;
        let numbers = as_numbers(&q)?;
        let ids = snowflakes(&app, n).await?;
        Ok((json_text(StatusCode::OK, ids_body(&ids, numbers)), ids.len() as u64))
    };
    counted(&app, "v1_snowflake", began, answer.await)
}

async fn v1_segment(State(app): Shared, Param(tag): Param, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = async {
        app.live.tag(&tag)?;
        tag_token(&app, &tag, &auth, &q)?;
        let n = count(&app, &q, "count")?;
        let numbers = as_numbers(&q)?;
        let ids = segment_ids(&app, &tag, n).await?;
        Ok((json_text(StatusCode::OK, ids_body(&ids, numbers)), ids.len() as u64))
    };
    counted(&app, "v1_segment", began, answer.await)
}

/// A whole range for a thin client: `{"start":"S","end":"E"}`, counters `[S, E)`.
async fn v1_segment_lease(State(app): Shared, Param(tag): Param, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = async {
        let served = app.live.tag(&tag)?;
        tag_token(&app, &tag, &auth, &q)?;
        let step = number(&q, "step", app.config.segment_step, 1, idloom::segment::MAX_STEP)?;
        let numbers = as_numbers(&q)?;
        let range = served.lease(step).await?;
        let body = if numbers {
            json!({ "start": range.start, "end": range.end })
        } else {
            json!({ "start": range.start.to_string(), "end": range.end.to_string() })
        };
        Ok((json_ok(&body), range.end - range.start))
    };
    counted(&app, "v1_segment_lease", began, answer.await)
}

async fn v1_uuid7(State(app): Shared, auth: Auth, Query(q): Params) -> Response {
    let began = Instant::now();
    let answer = async {
        snowflake_token(&app, &auth, &q)?;
        let n = count(&app, &q, "count")?;
        let mut ids = Vec::with_capacity(n);
        {
            let mut guard = app.v7.lock().unwrap_or_else(|p| p.into_inner());
            let (generator, rng) = &mut *guard;
            for _ in 0..n {
                ids.push(Value::String(generator.next(SystemClock.now_ms(), rng)?.to_string()));
            }
        }
        Ok((json_ok(&json!({ "ids": ids })), n as u64))
    };
    counted(&app, "v1_uuid7", began, answer.await)
}

async fn v1_decode(State(app): Shared, Param(id): Param) -> Response {
    let began = Instant::now();
    let answer = async {
        let value: u64 = id.parse().map_err(|_| {
            Error::store(
                ErrorCode::InvalidArgument,
                format!("id must be a decimal integer in 0..={}, got {id:?}", u64::MAX),
            )
        })?;
        let p = app.config.layout.decompose(value)?;
        let body = json!({
            "id": value.to_string(),
            "layout": app.config.layout_name,
            "timestamp_ms": p.timestamp_ms,
            "time": format!("{}Z", civil(p.timestamp_ms, 'T')),
            "tick": p.tick,
            "node": p.node,
            "sequence": p.sequence,
        });
        Ok((json_ok(&body), 0))
    };
    counted(&app, "v1_decode", began, answer.await)
}

// ---- operations ---------------------------------------------------------------

async fn readyz(State(app): Shared) -> Response {
    match app.live.ready(SystemClock.now_ms()) {
        Ok(()) => (StatusCode::OK, [(header::CONTENT_TYPE, TEXT)], "ready").into_response(),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, [(header::CONTENT_TYPE, TEXT)], why).into_response(),
    }
}

async fn metrics(State(app): Shared) -> Response {
    let mut response = app.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    response
}

/// In the spirit of Leaf's `/cache`: the lease, each segment, the settings.
async fn status(State(app): Shared) -> Response {
    let now = SystemClock.now_ms();
    let lease = app.live.lease();
    let counts = |c: idloom_stores::Counters| -> Value {
        c.iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (k.name().to_string(), json!(n)))
            .collect()
    };
    let segments: Vec<Value> = app
        .live
        .tags
        .iter()
        .map(|t| {
            json!({
                "tag": t.name(),
                "remaining": t.remaining(),
                "step": app.config.segment_step,
                "token": app.config.tokens.contains_key(t.name()),
                "events": counts(t.stats()),
            })
        })
        .collect();
    let body = json!({
        "engine": app.engine,
        "namespace": app.config.namespace,
        "layout": app.config.layout_name,
        "started_ms": app.started_ms,
        "ready": app.live.ready(now).err().map_or(Value::Bool(true), Value::String),
        "lease": {
            "status": format!("{:?}", lease.status()),
            "node": lease.node(),
            "epoch": lease.epoch(),
            "start_ms": lease.start_ms(),
            "fence_ms": lease.fence_ms(),
            "fence_headroom_ms": i128::from(lease.fence_ms()) - i128::from(now),
            "ttl_ms": lease.config().ttl_ms,
            "max_skew_ms": lease.config().max_skew_ms,
            "clock_offset_ms": lease.skew_ms(),
            "renewals": lease.renewals(),
            "renewal_failures": lease.renewal_failures(),
            "events": counts(lease.stats()),
        },
        "segments": segments,
    });
    json_ok(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_is_utc() {
        assert_eq!(civil(0, ' '), "1970-01-01 00:00:00.000");
        assert_eq!(civil(1_567_733_700_834, ' '), "2019-09-06 01:35:00.834");
        assert_eq!(civil(951_782_400_000, 'T'), "2000-02-29T00:00:00.000");
    }

    #[test]
    fn tinyid_segment_ids_cover_the_range() {
        // [1, 1001): ids 1..=1000 are (currentId, maxId]
        assert_eq!(segment_id(1, 1001), (0, 200, 1000));
        assert_eq!(segment_id(0, 10), (-1, 1, 9));
    }

    #[test]
    fn tokens_compare_whole_secrets() {
        assert!(check_token("t", None, None).is_ok());
        assert!(check_token("t", Some("s3cret"), Some("s3cret")).is_ok());
        let missing = check_token("t", Some("s3cret"), None).unwrap_err();
        assert_eq!(
            (missing.code(), auth_status(&missing)),
            (ErrorCode::Unauthorized, StatusCode::UNAUTHORIZED)
        );
        for wrong in ["s3cre", "s3cretx", "S3cret", ""] {
            let e = check_token("t", Some("s3cret"), Some(wrong)).unwrap_err();
            assert_eq!(
                (e.code(), auth_status(&e)),
                (ErrorCode::Unauthorized, StatusCode::FORBIDDEN),
                "{wrong}"
            );
        }
    }

    #[test]
    fn numbers_are_checked_not_clamped() {
        let q = |v: &str| HashMap::from([("count".to_string(), v.to_string())]);
        assert_eq!(number(&q("7"), "count", 1, 1, 100).unwrap(), 7);
        assert_eq!(number(&HashMap::new(), "count", 1, 1, 100).unwrap(), 1);
        let e = number(&q("101"), "count", 1, 1, 100).unwrap_err();
        assert_eq!(e.to_string(), "count must be in 1..=100, got 101");
        let e = number(&q("x"), "count", 1, 1, 100).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert!(e.to_string().contains("\"x\""), "{e}");
        let e = number(&q("99999999999999999999999"), "count", 1, 1, 100).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
    }
}
