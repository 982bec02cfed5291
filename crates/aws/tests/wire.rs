//! The whole path over real HTTP: `load_sdk_config_with` → `ec2_client` → `Ec2Network`, against
//! a scripted EC2 stand-in on 127.0.0.1 (never AWS: explicit endpoint, static test credentials).
//! It checks what the mocks cannot: the endpoint override, the request the SDK puts on the wire,
//! and the retry policy of `ec2_client` (reads retried by the SDK, writes sent once).

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::config::Credentials;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_aws::{AwsOptions, Ec2Network, ec2_client, load_sdk_config_with};
use tgw_ha_core::ids::{AttachmentId, RouteTableId};
use tgw_ha_engine::ports::{NetError, Network};

#[derive(Debug, Clone)]
struct Seen {
    head: String,
    body: String,
}

/// Serves `script` (status, body) in order, one request per connection, and records requests.
fn serve(script: Vec<(u16, String)>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (status, body) in script {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut head = String::new();
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some((k, v)) = line.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    length = v.trim().parse().unwrap_or(0);
                }
                head.push_str(&line);
            }
            let mut buf = vec![0; length];
            reader.read_exact(&mut buf).expect("body");
            log.lock().unwrap().push(Seen {
                head,
                body: String::from_utf8_lossy(&buf).into_owned(),
            });
            let mut stream = stream;
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: text/xml;charset=UTF-8\r\nx-amzn-RequestId: wire-1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, seen)
}

async fn network(url: &str) -> Ec2Network {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        // Standard retries, as the chain gives by default, with a short backoff for the test.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5)),
        );
    let opts = AwsOptions {
        region: Some("eu-west-3".into()),
        endpoint_url: Some(url.to_owned()),
        ..AwsOptions::default()
    };
    Ec2Network::new(ec2_client(&load_sdk_config_with(loader, &opts).await))
}

const THROTTLED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>wire-2</RequestID></Response>"#;

fn search_answer(cidrs: &[&str]) -> String {
    let items: String = cidrs
        .iter()
        .map(|c| {
            format!(
                "<item><destinationCidrBlock>{c}</destinationCidrBlock><transitGatewayAttachments><item><resourceId>vpn-1</resourceId><resourceType>vpn</resourceType><transitGatewayAttachmentId>tgw-attach-p</transitGatewayAttachmentId></item></transitGatewayAttachments><type>static</type><state>active</state></item>"
            )
        })
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<SearchTransitGatewayRoutesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>wire-3</requestId><routeSet>{items}</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable></SearchTransitGatewayRoutesResponse>"#
    )
}

#[tokio::test]
async fn describe_vpn_connections_over_http_to_a_local_endpoint() {
    let xml = include_str!("fixtures/describe-vpn-connections.xml").to_owned();
    let (url, seen) = serve(vec![(200, xml)]);
    let net = network(&url).await;
    let vpns = net.vpn_connections().await.expect("vpns");
    assert_eq!(vpns.len(), 1);
    assert_eq!(vpns[0].tunnels.len(), 2);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].head.starts_with("POST / "), "{}", seen[0].head);
    assert!(
        seen[0].body.contains("Action=DescribeVpnConnections"),
        "{}",
        seen[0].body
    );
    assert!(
        seen[0].body.contains("Version=2016-11-15"),
        "{}",
        seen[0].body
    );
    let head = seen[0].head.to_ascii_lowercase();
    assert!(
        head.contains("credential=akidtest/"),
        "signed with the test key: {head}"
    );
    assert!(head.contains("/eu-west-3/ec2/aws4_request"), "{head}");
}

#[tokio::test]
async fn writes_are_sent_once_and_read_pages_are_retried() {
    let (url, seen) = serve(vec![
        (503, THROTTLED.to_owned()),
        (503, THROTTLED.to_owned()),
        (200, search_answer(&["10.1.0.0/16", "10.2.0.0/16"])),
        (200, search_answer(&[])),
    ]);
    let net = network(&url).await;
    let table = RouteTableId::new("tgw-rtb-1");

    let err = net
        .replace_route(&table, "10.1.0.0/16", &AttachmentId::new("tgw-attach-b"))
        .await
        .expect_err("throttled");
    assert!(matches!(err, NetError::Throttled { .. }), "{err}");
    assert_eq!(seen.lock().unwrap().len(), 1, "the write was sent once");

    let routes = net
        .static_routes(&table, &[AttachmentId::new("tgw-attach-p")])
        .await
        .expect("routes after one SDK retry");
    assert_eq!(routes.len(), 2);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert!(seen[1].body.contains("Action=SearchTransitGatewayRoutes"));
    assert_eq!(
        seen[1].body, seen[2].body,
        "the throttled page was retried as is"
    );
    assert!(seen[3].body.contains("blackhole"), "{}", seen[3].body);
    assert!(
        !seen.iter().any(|s| s.body.contains("=active")),
        "never state=active"
    );
}
