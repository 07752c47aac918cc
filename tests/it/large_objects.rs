//! GET and HEAD of objects large enough to be sent from the open file in
//! chunks (a contact with a photo): the bytes, length and ETag are those of
//! the stored file, conditional GETs answer as for small objects, and a
//! large file edited by hand is served as it is now.

use crate::common::*;

const BOOK: &str = "/demo/contacts/";

/// A vCard with a folded base64 PHOTO of about `photo_len` bytes: the
/// shape of the bench's photo cards, large enough to be streamed.
fn photo_card(uid: &str, photo_len: usize, seed: u64) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x = seed;
    let data: String = (0..photo_len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            B64[(x >> 58) as usize] as char
        })
        .collect();
    let line = format!("PHOTO:data:image/jpeg;base64,{data}");
    let folded: Vec<String> = line
        .as_bytes()
        .chunks(74)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    format!(
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:{uid}\r\nFN:{uid}\r\n{}\r\nEND:VCARD\r\n",
        folded.join("\r\n ")
    )
}

#[test]
fn a_large_contact_is_sent_whole_with_the_etag_of_its_bytes() {
    let srv = Server::sample();
    let path = format!("{BOOK}photo.vcf");
    let body = photo_card("photo-1", 300_000, 7);
    let etag = srv.put_vcf(&path, &body).expect(201).etag().unwrap();
    assert_eq!(etag, sha256_hex(body.as_bytes()));

    let got = srv.get(&path);
    got.expect(200);
    assert!(got.body == body.as_bytes(), "the body differs from the PUT");
    assert_eq!(got.etag(), Some(etag.clone()));
    assert_eq!(got.header("content-length"), Some(body.len().to_string()));
    assert_eq!(
        got.header("content-type").as_deref(),
        Some("text/vcard; charset=utf-8")
    );
    assert!(got.header("last-modified").is_some());

    let head = srv.request("HEAD", &path).fetch();
    head.expect(200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length"), Some(body.len().to_string()));
    assert_eq!(head.etag(), Some(etag.clone()));

    let quoted = format!("\"{etag}\"");
    let stale = format!("\"{}\"", "0".repeat(64));
    let cond = |name: &str, value: &str| srv.request("GET", &path).header(name, value).fetch();
    let unchanged = cond("If-None-Match", &quoted);
    unchanged.expect(304);
    assert!(unchanged.body.is_empty());
    cond("If-None-Match", &stale).expect(200);
    cond("If-Match", &quoted).expect(200);
    cond("If-Match", &stale).expect(412);

    // Many at once, as a client syncing photos: each gets every byte.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..4 {
                    let r = srv.get(&path);
                    r.expect(200);
                    assert!(r.body == body.as_bytes(), "a concurrent body differs");
                }
            });
        }
    });
}

#[test]
fn a_large_contact_edited_by_hand_is_sent_as_it_is_now() {
    let srv = Server::sample();
    let path = format!("{BOOK}edited.vcf");
    let first = photo_card("edited-1", 100_000, 1);
    srv.put_vcf(&path, &first).expect(201);
    // Rewritten in place, not by rename: the index learns it on the read.
    let second = photo_card("edited-1", 120_000, 2);
    std::fs::write(srv.file("demo/contacts/edited.vcf"), &second).unwrap();
    // The watcher may meet the file half rewritten (truncated, then
    // written) and leave it out for a moment (404); what is never allowed
    // is the old body, and the new one must come.
    let mut got = srv.get(&path);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while got.status == 404 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        got = srv.get(&path);
    }
    got.expect(200);
    assert!(got.body == second.as_bytes(), "the old body was sent");
    assert_eq!(got.etag(), Some(sha256_hex(second.as_bytes())));
    assert_eq!(got.header("content-length"), Some(second.len().to_string()));
}
