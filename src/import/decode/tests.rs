//! Tests for encoding detection, binary refusal and streaming decoding.

use std::io::Read;

use super::*;

fn scanned(bytes: &[u8]) -> Result<Scan, NotText> {
    scan(bytes, None).expect("reading a slice cannot fail")
}

fn decoded(bytes: &[u8]) -> String {
    let scan = scanned(bytes).expect("text");
    let mut text = String::new();
    text_reader(bytes, scan.encoding)
        .read_to_string(&mut text)
        .expect("decodes");
    text
}

#[test]
fn utf8_with_and_without_bom() {
    assert_eq!(
        scanned(b"id,name\n1,Zo\xc3\xab\n").map(|s| s.encoding),
        Ok(TextEncoding::Utf8)
    );
    let with_bom = b"\xEF\xBB\xBFid,name\n";
    assert_eq!(
        scanned(with_bom).map(|s| s.encoding),
        Ok(TextEncoding::Utf8WithBom)
    );
    assert_eq!(decoded(with_bom), "id,name\n");
}

#[test]
fn utf16_with_bom_is_decoded() {
    let mut le = vec![0xFF, 0xFE];
    let mut be = vec![0xFE, 0xFF];
    for unit in "id,name\nc1,Zoë\n".encode_utf16() {
        le.extend_from_slice(&unit.to_le_bytes());
        be.extend_from_slice(&unit.to_be_bytes());
    }
    assert_eq!(scanned(&le).map(|s| s.encoding), Ok(TextEncoding::Utf16Le));
    assert_eq!(decoded(&le), "id,name\nc1,Zoë\n");
    assert_eq!(decoded(&be), "id,name\nc1,Zoë\n");
}

#[test]
fn latin1_falls_back_to_windows_1252_naming_the_line() {
    let bytes = b"id,name\nc1,Caf\xe9\n";
    let scan = scanned(bytes).expect("text");
    assert_eq!(scan.encoding, TextEncoding::Windows1252);
    assert_eq!(scan.first_non_utf8_line, Some(2));
    assert_eq!(decoded(bytes), "id,name\nc1,Café\n");
    // 0x80 is the euro sign in Windows-1252, not a C1 control as in Latin-1.
    assert_eq!(decoded(b"a,\x80\n"), "a,€\n");
}

#[test]
fn a_character_split_across_read_chunks_is_still_utf8() {
    let mut bytes = vec![b'a'; 64 * 1024 - 1];
    bytes.extend_from_slice("é,ü\n".as_bytes());
    assert_eq!(scanned(&bytes).map(|s| s.encoding), Ok(TextEncoding::Utf8));
    // Truncated in the middle of a character: not UTF-8.
    assert_eq!(
        scanned(b"a,\xc3").map(|s| s.encoding),
        Ok(TextEncoding::Windows1252)
    );
}

#[test]
fn empty_and_binary_files_are_refused() {
    assert_eq!(scanned(b"").err(), Some(NotText::Empty));
    assert!(
        matches!(scanned(b"PK\x03\x04rest"), Err(NotText::Binary(what)) if what.contains("xlsx"))
    );
    assert!(matches!(
        scanned(b"id,name\n\0\0\0"),
        Err(NotText::Binary(_))
    ));
    let noise: Vec<u8> = (0..4096u32).map(|i| (i % 32) as u8).collect();
    assert!(matches!(scanned(&noise), Err(NotText::Binary(_))));
}

#[test]
fn the_hash_covers_every_byte() {
    let a = scanned(b"id,name\nc1,a\n").expect("text");
    let b = scanned(b"id,name\nc1,b\n").expect("text");
    assert_ne!(a.hash, b.hash);
    assert_eq!(
        a.hash,
        blake3::hash(b"id,name\nc1,a\n").to_hex().to_string()
    );
    assert_eq!(a.size, 13);
}

#[test]
fn long_windows_1252_text_decodes_across_buffers() {
    let line = b"c1,Caf\xe9 M\xfcller\n";
    let bytes: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 20_000)
        .collect();
    let text = decoded(&bytes);
    assert_eq!(text.lines().count(), 20_000);
    assert!(text.lines().all(|l| l == "c1,Café Müller"));
}
