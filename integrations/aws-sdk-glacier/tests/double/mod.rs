//! A Glacier test double on 127.0.0.1: the REST API of the operations this crate uses, checking
//! each request the way Glacier documents, with the library's own functions. The tests also
//! check it against known vectors, so the crate is not only tested against itself.

#![allow(dead_code)] // each test binary uses a part of the double

use aws_sdk_glacier::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_glacier::Client;
use bytes::Bytes;
use glacier_tree_hash::{
    is_tree_hash_aligned, tree_hash, ArchiveAssembler, Checksums, ContentRange, PartSize,
    Sha256Hash, TreeHash,
};
use glacier_tree_hash_aws::NetworkPolicy;
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Notify;

type Reply = Response<Scripted>;

/// A fault the double injects instead of (or into) its normal answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// HTTP 500 `InternalFailure` (the SDK retries it).
    InternalError,
    /// HTTP 503 `ServiceUnavailableException` (the SDK retries it).
    Unavailable,
    /// HTTP 400 `ThrottlingException` (the SDK retries it).
    Throttling,
    /// HTTP 408 `RequestTimeoutException` (the SDK retries it).
    RequestTimeout,
    /// The connection closes after half the request body has arrived.
    CutRequest,
    /// The headers (with the full `Content-Length`) and half the body, then the connection
    /// closes: a body shorter than its `Content-Length`.
    CutResponse,
    /// No answer at all, until the client gives up.
    Stall,
    /// The headers and half the body, then nothing, until the client gives up.
    StallBody,
    /// GetJobOutput: one bit of the range flipped; `x-amz-sha256-tree-hash` stays right.
    CorruptRange,
    /// GetJobOutput: no `x-amz-sha256-tree-hash`.
    OmitTreeHash,
    /// UploadMultipartPart: acknowledged with the right tree hash, but not stored.
    LosePart,
    /// ListParts: the page's marker is the one asked with (or the first part's), so the same
    /// parts would be listed again.
    RepeatMarker,
    /// ListParts: no marker, though more parts remain.
    DropMarker,
    /// ListParts: `RangeInBytes` as `FIRST..END`, which is not Glacier's form.
    GarbleRange,
    /// HTTP 404 `ResourceNotFoundException`: an expired job, an unknown upload.
    NotFound,
}

/// Which requests of an operation a [`Rule`] faults, by the request's key (the part's or
/// range's first byte, the ListParts marker, else 0).
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// The request with this key.
    Key(u64),
    /// Each key with probability 1/n, chosen from the plan's seed and the key.
    OneIn(u64),
    /// Every key.
    Every,
}

/// A fault for the first `times` requests of `operation` to each key `target` picks.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub operation: &'static str,
    pub target: Target,
    pub fault: Fault,
    pub times: u32,
}

/// A fault for the first `times` requests of `operation` with key `key`.
pub fn at(operation: &'static str, key: u64, fault: Fault, times: u32) -> Rule {
    Rule {
        operation,
        target: Target::Key(key),
        fault,
        times,
    }
}

/// The faults of a test: rules, the seed that picks keys for [`Target::OneIn`], and the most
/// faults one key of an operation gets from all rules together.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub seed: u64,
    pub rules: Vec<Rule>,
    pub max_per_key: Option<u32>,
    /// Faults injected so far per (rule, key) and per (operation, key).
    given: HashMap<(usize, u64), u32>,
    per_key: HashMap<(String, u64), u32>,
}

impl Plan {
    pub fn new(seed: u64, rules: Vec<Rule>) -> Plan {
        Plan {
            seed,
            rules,
            ..Plan::default()
        }
    }

    /// The fault for this request, if a rule has one left for it; counts it as given.
    fn fault(&mut self, operation: &str, key: u64) -> Option<Fault> {
        let per_key = self.per_key.entry((operation.to_owned(), key)).or_insert(0);
        if self.max_per_key.is_some_and(|max| *per_key >= max) {
            return None;
        }
        *per_key += 1;
        for (index, rule) in self.rules.iter().enumerate() {
            let picked = match rule.target {
                Target::Key(k) => k == key,
                Target::OneIn(n) => {
                    splitmix(self.seed ^ splitmix(index as u64 ^ key)).is_multiple_of(n)
                }
                Target::Every => true,
            };
            let given = self.given.entry((index, key)).or_insert(0);
            if rule.operation == operation && picked && *given < rule.times {
                *given += 1;
                return Some(rule.fault);
            }
        }
        *self.per_key.get_mut(&(operation.to_owned(), key)).unwrap() -= 1;
        None
    }
}

/// One step of splitmix64: a well-mixed 64-bit value from any input.
pub fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A response body: some bytes, then the end, a failure (the connection closes), or nothing.
pub struct Scripted {
    data: Option<Bytes>,
    then: Then,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Then {
    End,
    Fail,
    Stall,
}

impl hyper::body::Body for Scripted {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(data) = self.data.take().filter(|data| !data.is_empty()) {
            return Poll::Ready(Some(Ok(Frame::data(data))));
        }
        match self.then {
            Then::End => Poll::Ready(None),
            Then::Fail => Poll::Ready(Some(Err(std::io::Error::other("cut by the double")))),
            Then::Stall => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.then == Then::End && self.data.as_ref().is_none_or(Bytes::is_empty)
    }

    fn size_hint(&self) -> SizeHint {
        match self.then {
            Then::End => SizeHint::with_exact(self.data.as_ref().map_or(0, |d| d.len() as u64)),
            _ => SizeHint::new(),
        }
    }
}

/// An archive stored by UploadArchive or CompleteMultipartUpload.
#[derive(Clone, Debug)]
pub struct Archive {
    pub data: Bytes,
    pub tree_hash: TreeHash,
}

#[derive(Debug)]
struct Upload {
    part_size: PartSize,
    /// Part start → (end, tree hash, bytes).
    parts: BTreeMap<u64, (u64, TreeHash, Bytes)>,
    /// The archive id once completed (Complete is idempotent).
    completed: Option<String>,
}

#[derive(Debug)]
struct Job {
    data: Bytes,
    /// What DescribeJob reports as `SHA256TreeHash`.
    tree_hash: TreeHash,
}

/// Everything the double holds, and the knobs tests turn.
#[derive(Debug)]
pub struct State {
    pub archives: HashMap<String, Archive>,
    uploads: HashMap<String, Upload>,
    jobs: HashMap<String, Job>,
    /// The vaults that exist.
    pub vaults: Vec<String>,
    /// Every request's operation name, in arrival order.
    pub requests: Vec<&'static str>,
    /// Every fault injected: operation, key, fault.
    pub faults: Vec<(&'static str, u64, Fault)>,
    /// Every `x-amz-sha256-tree-hash` an upload body arrived with.
    pub received_tree_hashes: Vec<String>,
    /// Every `x-amz-part-size` InitiateMultipartUpload received.
    pub received_part_sizes: Vec<String>,
    /// The faults to inject.
    pub plan: Plan,
    /// Once: the request of this operation with this key signals the first `Notify` when it
    /// arrives, then waits for the second before answering.
    pub pause: Option<(&'static str, u64, Arc<Notify>, Arc<Notify>)>,
    /// The most parts ListParts returns per page.
    pub page_size: usize,
    /// UploadMultipartPart requests being handled now, and the most at once.
    parts_in_flight: usize,
    pub max_parts_in_flight: usize,
    next_id: u64,
}

impl State {
    /// How many requests of `operation` arrived.
    pub fn count(&self, operation: &str) -> usize {
        self.requests.iter().filter(|r| **r == operation).count()
    }

    /// How many faults were injected into `operation`.
    pub fn faults_in(&self, operation: &str) -> usize {
        self.faults.iter().filter(|f| f.0 == operation).count()
    }

    /// The upload ids, in the order they were initiated.
    pub fn upload_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.uploads.keys().cloned().collect();
        ids.sort_by_key(|id| id.trim_start_matches("upload-").parse::<u64>().unwrap_or(0));
        ids
    }

    /// The start of every part stored for `upload_id`.
    pub fn stored_parts(&self, upload_id: &str) -> Vec<u64> {
        self.uploads[upload_id].parts.keys().copied().collect()
    }

    fn id(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("{kind}-{}", self.next_id)
    }
}

/// The running double.
pub struct Glacier {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

/// The client's retries and timeouts in tests: backoffs in milliseconds; a read timeout that
/// a debug build on 2 busy cores never reaches by accident (stall tests set a short one).
pub fn test_policy() -> NetworkPolicy {
    NetworkPolicy::default()
        .max_attempts(4)
        .backoff(Duration::from_millis(2), Duration::from_millis(20))
        .timeouts(Duration::from_secs(2), Duration::from_secs(10))
}

impl Glacier {
    /// Starts the double on a free loopback port, on the current Tokio runtime.
    pub async fn start() -> Glacier {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            archives: HashMap::new(),
            uploads: HashMap::new(),
            jobs: HashMap::new(),
            vaults: vec!["test-vault".to_owned()],
            requests: Vec::new(),
            faults: Vec::new(),
            received_tree_hashes: Vec::new(),
            received_part_sizes: Vec::new(),
            plan: Plan::default(),
            pause: None,
            page_size: 50,
            parts_in_flight: 0,
            max_parts_in_flight: 0,
            next_id: 0,
        }));
        let shared = Arc::clone(&state);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&shared);
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = Arc::clone(&state);
                        async move { handle(&state, request).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Glacier { addr, state }
    }

    /// The double's base URL, for `endpoint_url`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The real SDK client, pointed at the double with static test credentials and
    /// [`test_policy`].
    pub fn client(&self) -> Client {
        self.client_with(test_policy())
    }

    /// The real SDK client with `policy`.
    pub fn client_with(&self, policy: NetworkPolicy) -> Client {
        let builder = aws_sdk_glacier::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .credentials_provider(Credentials::new(
                "AKIDTEST",
                "test-secret",
                None,
                None,
                "test",
            ))
            .endpoint_url(self.url());
        Client::from_conf(policy.apply(builder).build())
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Injects the faults of `plan` from now on.
    pub fn plan(&self, plan: Plan) {
        self.state().plan = plan;
    }

    /// A completed archive-retrieval job for `data`, whose DescribeJob reports `tree_hash`.
    pub fn add_job(&self, data: Vec<u8>, tree_hash: TreeHash) -> String {
        let mut state = self.state();
        let id = state.id("job");
        state.jobs.insert(
            id.clone(),
            Job {
                data: Bytes::from(data),
                tree_hash,
            },
        );
        id
    }
}

fn reply(status: StatusCode, headers: &[(&str, String)], body: Bytes) -> Reply {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(*name, value);
    }
    let body = Scripted {
        data: Some(body),
        then: Then::End,
    };
    response.body(body).unwrap()
}

/// A Glacier (restJson1) error.
fn refuse(status: StatusCode, code: &str, message: &str) -> Reply {
    let body = format!(
        r#"{{"code":"{code}","message":"{}","type":"Client"}}"#,
        message.replace('"', "'")
    );
    reply(
        status,
        &[
            ("x-amzn-ErrorType", code.to_owned()),
            ("Content-Type", "application/json".to_owned()),
        ],
        Bytes::from(body),
    )
}

fn invalid(message: &str) -> Reply {
    refuse(
        StatusCode::BAD_REQUEST,
        "InvalidParameterValueException",
        message,
    )
}

fn not_found(message: &str) -> Reply {
    refuse(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
}

fn header<'a>(request: &'a hyper::http::request::Parts, name: &str) -> Option<&'a str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The operation a request is for, from its method and path.
fn operation(method: &str, tail: &[&str]) -> Option<&'static str> {
    Some(match (method, tail) {
        ("POST", ["archives"]) => "UploadArchive",
        ("POST", ["multipart-uploads"]) => "InitiateMultipartUpload",
        ("PUT", ["multipart-uploads", _]) => "UploadMultipartPart",
        ("POST", ["multipart-uploads", _]) => "CompleteMultipartUpload",
        ("GET", ["multipart-uploads", _]) => "ListParts",
        ("GET", ["jobs", _]) => "DescribeJob",
        ("GET", ["jobs", _, "output"]) => "GetJobOutput",
        _ => return None,
    })
}

/// The key faults are chosen by: the first byte of a part or range, the ListParts marker.
fn key(request: &hyper::http::request::Parts) -> u64 {
    let first_number = |text: &str| {
        let digits: String = text
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap_or(0)
    };
    if let Some(range) = header(request, "content-range").or(header(request, "range")) {
        return first_number(range);
    }
    query_value(request, "marker").map_or(0, first_number)
}

/// The connection is closed: hyper aborts it when the service fails.
#[derive(Debug)]
struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection cut by the double")
    }
}

impl std::error::Error for Cut {}

async fn handle(state: &Mutex<State>, request: Request<Incoming>) -> Result<Reply, Cut> {
    let (parts, mut body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let segments: Vec<&str> = path.split('/').collect();
    // ["", account, "vaults", vault, ...]
    let tail = segments.get(4..).unwrap_or_default();
    let named = operation(parts.method.as_str(), tail);
    let fault = named.and_then(|operation| {
        let key = key(&parts);
        let mut state = state.lock().unwrap();
        let fault = state.plan.fault(operation, key)?;
        state.faults.push((operation, key, fault));
        Some(fault)
    });
    let pause = state.lock().unwrap().pause.clone();
    if let Some((operation, at, reached, resume)) = pause {
        if named == Some(operation) && key(&parts) == at {
            state.lock().unwrap().pause = None;
            reached.notify_one();
            resume.notified().await;
        }
    }
    match fault {
        Some(Fault::CutRequest) => {
            // Read about half the body, then drop the connection.
            let length: usize = header(&parts, "content-length")
                .and_then(|t| t.parse().ok())
                .unwrap_or(0);
            let mut read = 0;
            while read < length / 2 {
                match body.frame().await {
                    Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
                    _ => break,
                }
            }
            state.lock().unwrap().requests.push(named.unwrap_or("?"));
            return Err(Cut);
        }
        Some(Fault::Stall) => {
            state.lock().unwrap().requests.push(named.unwrap_or("?"));
            std::future::pending::<()>().await;
        }
        _ => {}
    }
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(invalid("unreadable body")),
    };
    let answer = answer(state, &parts, &segments, body, fault).await;
    Ok(match fault {
        Some(fault @ (Fault::CutResponse | Fault::StallBody)) => {
            let (head, full) = answer.into_parts();
            let data = full.data.unwrap_or_default();
            let mut response = Response::from_parts(
                head,
                Scripted {
                    data: Some(data.slice(..data.len() / 2)),
                    then: if fault == Fault::CutResponse {
                        Then::Fail
                    } else {
                        Then::Stall
                    },
                },
            );
            response
                .headers_mut()
                .insert("content-length", data.len().into());
            response
        }
        _ => answer,
    })
}

/// The answer to a request, with the faults that change it.
async fn answer(
    state: &Mutex<State>,
    parts: &hyper::http::request::Parts,
    segments: &[&str],
    body: Bytes,
    fault: Option<Fault>,
) -> Reply {
    if header(parts, "x-amz-glacier-version") != Some("2012-06-01") {
        return refuse(
            StatusCode::BAD_REQUEST,
            "MissingParameterValueException",
            "x-amz-glacier-version 2012-06-01 is required",
        );
    }
    if header(parts, "authorization").is_none() {
        return refuse(StatusCode::FORBIDDEN, "AccessDeniedException", "unsigned");
    }
    if segments.len() < 5 || segments[2] != "vaults" || segments[1] != "-" {
        return not_found("no such resource");
    }
    let vault = segments[3].to_owned();
    let Some(operation) = operation(parts.method.as_str(), &segments[4..]) else {
        return not_found("no such operation");
    };
    let refusal = match fault {
        Some(Fault::InternalError) => Some((500, "InternalFailure")),
        Some(Fault::Unavailable) => Some((503, "ServiceUnavailableException")),
        Some(Fault::Throttling) => Some((400, "ThrottlingException")),
        Some(Fault::RequestTimeout) => Some((408, "RequestTimeoutException")),
        Some(Fault::NotFound) => Some((404, "ResourceNotFoundException")),
        _ => None,
    };
    if let Some((status, code)) = refusal {
        state.lock().unwrap().requests.push(operation);
        let status = StatusCode::from_u16(status).unwrap();
        return refuse(status, code, &format!("{code} injected by the test"));
    }
    if !state.lock().unwrap().vaults.contains(&vault) {
        state.lock().unwrap().requests.push(operation);
        let message = format!(
            "Vault not found for ARN: arn:aws:glacier:eu-west-1:000000000000:vaults/{vault}"
        );
        return not_found(&message);
    }
    match (operation, &segments[4..]) {
        ("UploadArchive", _) => upload_archive(state, parts, body),
        ("InitiateMultipartUpload", _) => initiate(state, parts, &vault),
        ("UploadMultipartPart", [_, id]) => {
            {
                let mut s = state.lock().unwrap();
                s.parts_in_flight += 1;
                s.max_parts_in_flight = s.max_parts_in_flight.max(s.parts_in_flight);
            }
            // Hold the request a moment, so parts sent at once overlap here.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let lose = fault == Some(Fault::LosePart);
            let response = upload_part(state, parts, id, body, lose);
            state.lock().unwrap().parts_in_flight -= 1;
            response
        }
        ("CompleteMultipartUpload", [_, id]) => complete(state, parts, &vault, id),
        ("ListParts", [_, id]) => list_parts(state, parts, &vault, id, fault),
        ("DescribeJob", [_, id]) => describe_job(state, &vault, id),
        ("GetJobOutput", [_, id, _]) => job_output(state, parts, id, fault),
        _ => not_found("no such operation"),
    }
}

/// Recomputes both checksums of `body` and compares them with its headers, as Glacier does.
fn check_body(
    state: &mut State,
    request: &hyper::http::request::Parts,
    body: &[u8],
) -> Result<Checksums, String> {
    let computed = Checksums::of(body);
    let tree = header(request, "x-amz-sha256-tree-hash")
        .ok_or_else(|| "x-amz-sha256-tree-hash is required".to_owned())?;
    state.received_tree_hashes.push(tree.to_owned());
    if TreeHash::from_hex(tree) != Ok(computed.tree_hash) {
        return Err(format!(
            "Checksum mismatch: the body's tree hash is {}, the request says {tree}",
            computed.tree_hash
        ));
    }
    let linear = header(request, "x-amz-content-sha256")
        .ok_or_else(|| "x-amz-content-sha256 is required".to_owned())?;
    if Sha256Hash::from_hex(linear) != Ok(computed.sha256) {
        return Err(format!(
            "Content SHA-256 mismatch: the body's is {}, the request says {linear}",
            computed.sha256
        ));
    }
    Ok(computed)
}

fn upload_archive(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    body: Bytes,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("UploadArchive");
    let checksums = match check_body(&mut state, request, &body) {
        Ok(checksums) => checksums,
        Err(problem) => return invalid(&problem),
    };
    let id = state.id("archive");
    state.archives.insert(
        id.clone(),
        Archive {
            data: body,
            tree_hash: checksums.tree_hash,
        },
    );
    reply(
        StatusCode::CREATED,
        &[
            ("x-amz-archive-id", id.clone()),
            ("x-amz-sha256-tree-hash", checksums.tree_hash.to_string()),
            ("Location", format!("/-/vaults/v/archives/{id}")),
        ],
        Bytes::new(),
    )
}

fn initiate(state: &Mutex<State>, request: &hyper::http::request::Parts, vault: &str) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("InitiateMultipartUpload");
    let text = header(request, "x-amz-part-size").unwrap_or_default();
    state.received_part_sizes.push(text.to_owned());
    // Glacier takes the size in bytes: 1 MiB × 2^k up to 4 GiB.
    let part_size = match text.bytes().all(|b| b.is_ascii_digit()) {
        true => text.parse::<u64>().ok().and_then(|b| PartSize::new(b).ok()),
        false => None,
    };
    let Some(part_size) = part_size else {
        return invalid(&format!("Invalid part size: {text}"));
    };
    let id = state.id("upload");
    state.uploads.insert(
        id.clone(),
        Upload {
            part_size,
            parts: BTreeMap::new(),
            completed: None,
        },
    );
    reply(
        StatusCode::CREATED,
        &[
            ("x-amz-multipart-upload-id", id.clone()),
            (
                "Location",
                format!("/-/vaults/{vault}/multipart-uploads/{id}"),
            ),
        ],
        Bytes::new(),
    )
}

fn upload_part(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    id: &str,
    body: Bytes,
    lose: bool,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("UploadMultipartPart");
    let checksums = match check_body(&mut state, request, &body) {
        Ok(checksums) => checksums,
        Err(problem) => return invalid(&problem),
    };
    let Some(upload) = state.uploads.get_mut(id) else {
        return not_found("no such upload");
    };
    if upload.completed.is_some() {
        return not_found("the upload is completed");
    }
    let text = header(request, "content-range").unwrap_or_default();
    let range = match text.parse::<ContentRange>() {
        Ok(content_range) if text.starts_with("bytes ") => content_range.range(),
        _ => return invalid(&format!("Invalid Content-Range: {text:?}")),
    };
    let size = upload.part_size.bytes();
    if range.start % size != 0 || range.end - range.start > size {
        return invalid(&format!(
            "Content-Range {text} does not fit the part size {size}"
        ));
    }
    if range.end - range.start != body.len() as u64 {
        return invalid(&format!(
            "Content-Range {text} but {} bytes of body",
            body.len()
        ));
    }
    if !lose {
        upload
            .parts
            .insert(range.start, (range.end, checksums.tree_hash, body));
    }
    reply(
        StatusCode::NO_CONTENT,
        &[("x-amz-sha256-tree-hash", checksums.tree_hash.to_string())],
        Bytes::new(),
    )
}

fn complete(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    vault: &str,
    id: &str,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("CompleteMultipartUpload");
    let size_text = header(request, "x-amz-archive-size").unwrap_or_default();
    let Ok(archive_size) = size_text.parse::<u64>() else {
        return invalid(&format!("Invalid x-amz-archive-size: {size_text:?}"));
    };
    let hash_text = header(request, "x-amz-sha256-tree-hash").unwrap_or_default();
    let Ok(checksum) = TreeHash::from_hex(hash_text) else {
        return invalid(&format!("Invalid x-amz-sha256-tree-hash: {hash_text:?}"));
    };
    let Some(upload) = state.uploads.get(id) else {
        return not_found("no such upload");
    };
    let mut assembler = ArchiveAssembler::new(upload.part_size);
    for (&start, &(end, hash, _)) in &upload.parts {
        if assembler.add_part(start..end, hash).is_err() {
            return invalid("inconsistent parts");
        }
    }
    let assembled = match assembler.assemble(archive_size) {
        Ok(hash) => hash,
        // "If missing content ranges are found, Glacier returns an error."
        Err(problems) => return invalid(&problems.to_string()),
    };
    if assembled != checksum {
        return invalid(&format!(
            "Checksum mismatch: the parts make {assembled}, the request says {checksum}"
        ));
    }
    let archive_id = match &upload.completed {
        Some(archive_id) => archive_id.clone(),
        None => {
            let mut data = Vec::new();
            for (_, _, bytes) in upload.parts.values() {
                data.extend_from_slice(bytes);
            }
            let archive_id = state.id("archive");
            state.archives.insert(
                archive_id.clone(),
                Archive {
                    data: Bytes::from(data),
                    tree_hash: assembled,
                },
            );
            if let Some(upload) = state.uploads.get_mut(id) {
                upload.completed = Some(archive_id.clone());
            }
            archive_id
        }
    };
    reply(
        StatusCode::CREATED,
        &[
            ("x-amz-archive-id", archive_id.clone()),
            ("x-amz-sha256-tree-hash", assembled.to_string()),
            (
                "Location",
                format!("/-/vaults/{vault}/archives/{archive_id}"),
            ),
        ],
        Bytes::new(),
    )
}

fn query_value<'a>(request: &'a hyper::http::request::Parts, key: &str) -> Option<&'a str> {
    request.uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then_some(v)
    })
}

fn list_parts(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    vault: &str,
    id: &str,
    fault: Option<Fault>,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("ListParts");
    let page_size = state.page_size;
    let garble = fault == Some(Fault::GarbleRange);
    let Some(upload) = state.uploads.get(id) else {
        return not_found("no such upload");
    };
    let limit = match query_value(request, "limit") {
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if (1..=50).contains(&limit) => limit,
            _ => return invalid("Invalid limit"),
        },
        None => 50,
    }
    .min(page_size);
    // The marker is the start offset of the next part to list.
    let from = match query_value(request, "marker") {
        Some(text) => match text.parse::<u64>() {
            Ok(from) => from,
            Err(_) => return invalid("Invalid marker"),
        },
        None => 0,
    };
    let mut listed = upload.parts.range(from..);
    let page: Vec<String> = listed
        .by_ref()
        .take(limit)
        .map(|(start, (end, hash, _))| match garble {
            true => format!(r#"{{"RangeInBytes":"{start}..{end}","SHA256TreeHash":"{hash}"}}"#),
            false => format!(
                r#"{{"RangeInBytes":"{start}-{}","SHA256TreeHash":"{hash}"}}"#,
                end - 1
            ),
        })
        .collect();
    let marker = match (listed.next(), fault) {
        (_, Some(Fault::RepeatMarker)) => format!(r#""{from}""#),
        (_, Some(Fault::DropMarker)) | (None, _) => "null".to_owned(),
        (Some((next, _)), _) => format!(r#""{next}""#),
    };
    let body = format!(
        r#"{{"ArchiveDescription":null,"CreationDate":"2026-11-30T00:00:00.000Z","Marker":{marker},"MultipartUploadId":"{id}","PartSizeInBytes":{},"Parts":[{}],"VaultARN":"arn:aws:glacier:eu-west-1:000000000000:vaults/{vault}"}}"#,
        upload.part_size.bytes(),
        page.join(",")
    );
    reply(
        StatusCode::OK,
        &[("Content-Type", "application/json".to_owned())],
        Bytes::from(body),
    )
}

fn describe_job(state: &Mutex<State>, vault: &str, id: &str) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("DescribeJob");
    let Some(job) = state.jobs.get(id) else {
        return not_found("no such job");
    };
    let size = job.data.len() as u64;
    let range = match size {
        0 => "null".to_owned(),
        _ => format!(r#""0-{}""#, size - 1),
    };
    let body = format!(
        r#"{{"JobId":"{id}","Action":"ArchiveRetrieval","ArchiveId":"archive-of-{id}","VaultARN":"arn:aws:glacier:eu-west-1:000000000000:vaults/{vault}","CreationDate":"2026-11-30T00:00:00.000Z","Completed":true,"StatusCode":"Succeeded","StatusMessage":"Succeeded","ArchiveSizeInBytes":{size},"CompletionDate":"2026-11-30T04:00:00.000Z","SHA256TreeHash":"{hash}","ArchiveSHA256TreeHash":"{hash}","RetrievalByteRange":{range},"Tier":"Standard"}}"#,
        hash = job.tree_hash
    );
    reply(
        StatusCode::OK,
        &[("Content-Type", "application/json".to_owned())],
        Bytes::from(body),
    )
}

fn job_output(
    state: &Mutex<State>,
    request: &hyper::http::request::Parts,
    id: &str,
    fault: Option<Fault>,
) -> Reply {
    let mut state = state.lock().unwrap();
    state.requests.push("GetJobOutput");
    let corrupt = fault == Some(Fault::CorruptRange);
    let omit_hash = fault == Some(Fault::OmitTreeHash);
    let Some(job) = state.jobs.get(id) else {
        return not_found("no such job");
    };
    let size = job.data.len() as u64;
    let wanted = match header(request, "range") {
        None => 0..size,
        Some(text) => {
            let parsed = text
                .strip_prefix("bytes=")
                .and_then(|pair| pair.split_once('-'))
                .and_then(|(first, last)| {
                    Some((first.parse::<u64>().ok()?, last.parse::<u64>().ok()?))
                });
            match parsed {
                Some((first, last)) if first <= last && last < size => first..last + 1,
                _ => return invalid(&format!("Invalid range: {text}")),
            }
        }
    };
    let bytes = job.data.slice(wanted.start as usize..wanted.end as usize);
    let mut headers = vec![
        ("Accept-Ranges", "bytes".to_owned()),
        ("Content-Type", "application/octet-stream".to_owned()),
    ];
    // Glacier sends a tree hash only for tree-hash-aligned ranges.
    if (is_tree_hash_aligned(wanted.clone(), size) || size == 0) && !omit_hash {
        headers.push(("x-amz-sha256-tree-hash", tree_hash(&bytes).to_string()));
    }
    let status = if header(request, "range").is_some() {
        headers.push((
            "Content-Range",
            format!("bytes {}-{}/{size}", wanted.start, wanted.end - 1),
        ));
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let bytes = if corrupt && !bytes.is_empty() {
        let mut damaged = bytes.to_vec();
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0x01;
        Bytes::from(damaged)
    } else {
        bytes
    };
    reply(status, &headers, bytes)
}

/// A directory removed when the test ends.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "glacier-tree-hash-aws-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn file(&self, name: &str, data: &[u8]) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, data).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Deterministic bytes that differ from part to part (xorshift).
pub fn data(len: u64, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

pub fn slice(data: &[u8], range: std::ops::Range<u64>) -> &[u8] {
    &data[range.start as usize..range.end as usize]
}

/// The example's binary, built by `cargo test` in `target/<profile>/examples`.
pub fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    let path = profile_dir.join("examples").join("glacier-transfer");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --example glacier-transfer` first",
        path.display()
    );
    path
}

/// The example pointed at the double at `url`, with static credentials and no other
/// configuration from the environment.
pub fn example_command<S: AsRef<std::ffi::OsStr>>(url: &str, args: &[S]) -> std::process::Command {
    let mut command = std::process::Command::new(example());
    command
        .arg("--endpoint")
        .arg(url)
        .args(args)
        .env_clear()
        .env("AWS_ACCESS_KEY_ID", "AKIDTEST")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    command
}
