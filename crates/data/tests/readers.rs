//! The readers: what they accept, and the errors (file and row) for what they must refuse.

use std::path::Path;
use std::sync::Arc;

use assay_data::DataError;
use assay_data::read::{Cell, read_csv_bytes, read_file, read_rows};
use proptest::prelude::*;

fn rows_of(bytes: &[u8]) -> Result<Vec<Vec<Option<String>>>, DataError> {
    let mut out = Vec::new();
    read_csv_bytes(bytes, &mut |_, cells| {
        out.push(cells.iter().map(Cell::to_text).collect());
        Ok(())
    })?;
    Ok(out)
}

fn s(x: &str) -> Option<String> {
    Some(x.to_owned())
}

#[test]
fn csv_quoting_newlines_crlf_and_nulls() {
    let rows = rows_of(b"a,b,c\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n\r\n2,,\"two\nlines\"\n3,z,")
        .expect("valid");
    assert_eq!(
        rows,
        vec![
            vec![s("1"), s("x, y"), s("say \"hi\"")],
            vec![s("2"), None, s("two\nlines")],
            vec![s("3"), s("z"), None],
        ]
    );
}

fn csv_err(bytes: &[u8]) -> (u64, String) {
    match rows_of(bytes) {
        Err(DataError::Csv { row, message, .. }) => (row, message),
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn broken_quoting_names_the_row() {
    let (row, msg) = csv_err(b"a,b\n1,2\n3,\"open\n4,5\n");
    assert_eq!(row, 3);
    assert!(msg.contains("never closed"), "{msg}");
    let (row, msg) = csv_err(b"a,b\n1,2\n3,4\n5,ab\"c\n");
    assert_eq!(row, 4);
    assert!(msg.contains("quote inside an unquoted field"), "{msg}");
    let (row, msg) = csv_err(b"a,b\n\"x\"y,2\n");
    assert_eq!(row, 2);
    assert!(msg.contains("after the closing quote"), "{msg}");
    let (row, msg) = csv_err(b"a,b\n1,2\n1,2,3\n");
    assert_eq!(row, 3);
    assert!(msg.contains("3 fields"), "{msg}");
}

#[test]
fn bad_utf8_names_the_row() {
    match rows_of(b"a,b\n1,2\n3,caf\xe9\n") {
        Err(DataError::Utf8 { row, place, .. }) => {
            assert_eq!(row, 3);
            assert_eq!(place, "field 2, byte 4");
        }
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
}

#[test]
fn jsonl_objects_and_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("x.jsonl");
    std::fs::write(&p, "{\"a\":1,\"b\":\"x\"}\n\n{\"b\":null,\"c\":[1,2]}\n").expect("write");
    let mut seen = Vec::new();
    read_file(&p, &mut |ctx, cells| {
        seen.push((
            ctx.row,
            ctx.columns.to_vec(),
            cells.iter().map(Cell::to_text).collect::<Vec<_>>(),
        ));
        Ok(())
    })
    .expect("valid JSONL");
    assert_eq!(seen[0].2, vec![s("1"), s("x")]);
    assert_eq!(seen[1].0, 3);
    assert_eq!(seen[1].1, vec!["a", "b", "c"]);
    assert_eq!(seen[1].2, vec![None, None, s("[1,2]")]);
    std::fs::write(&p, "{\"a\":1}\n[1]\n").expect("write");
    match read_file(&p, &mut |_, _| Ok(())) {
        Err(DataError::Json { line, .. }) => assert_eq!(line, 2),
        other => panic!("expected a JSON error, got {other:?}"),
    }
    std::fs::write(&p, b"{\"a\":1}\n{\"a\":\"\xff\"}\n").expect("write");
    match read_file(&p, &mut |_, _| Ok(())) {
        Err(DataError::Utf8 { row, .. }) => assert_eq!(row, 2),
        other => panic!("expected a UTF-8 error, got {other:?}"),
    }
}

fn write_parquet(path: &Path, n: usize) {
    use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
    use parquet::arrow::ArrowWriter;
    let x: ArrayRef = Arc::new(Float64Array::from_iter(
        (0..n).map(|i| if i % 7 == 0 { None } else { Some(i as f64) }),
    ));
    let y: ArrayRef = Arc::new(StringArray::from_iter_values(
        (0..n).map(|i| format!("k{}", i % 3)),
    ));
    let batch = RecordBatch::try_from_iter([("x", x), ("y", y)]).expect("batch");
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

#[test]
fn parquet_rows_and_truncation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("t.parquet");
    write_parquet(&p, 1000);
    let mut n = 0;
    let mut nulls = 0;
    read_file(&p, &mut |ctx, cells| {
        n += 1;
        assert_eq!(ctx.columns, ["x", "y"]);
        if cells[0].is_null() {
            nulls += 1;
        }
        assert!(matches!(cells[1], Cell::Str(_)));
        Ok(())
    })
    .expect("valid parquet");
    assert_eq!((n, nulls), (1000, 143));
    let bytes = std::fs::read(&p).expect("read");
    let cut = dir.path().join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    match read_file(&cut, &mut |_, _| Ok(())) {
        Err(DataError::Parquet { path, .. }) => assert_eq!(path, cut),
        other => panic!("expected a Parquet error, got {other:?}"),
    }
}

#[test]
fn directories_are_read_in_order_and_hidden_files_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("b.csv"), "v\n2\n").expect("write");
    std::fs::write(dir.path().join("a.csv"), "v\n1\n").expect("write");
    std::fs::write(dir.path().join(".hidden.csv"), "v\n9\n").expect("write");
    std::fs::write(dir.path().join("notes.txt"), "ignored").expect("write");
    let mut vals = Vec::new();
    let n = read_rows(dir.path(), &mut |_, c| {
        vals.push(c[0].as_f64());
        Ok(())
    })
    .expect("dir");
    assert_eq!(n, 2);
    assert_eq!(vals, vec![Some(1.0), Some(2.0)]);
}

fn quote(f: &str) -> String {
    if f.contains([',', '"', '\n']) || f.is_empty() {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_owned()
    }
}

proptest! {
    #[test]
    fn csv_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = rows_of(&bytes);
    }

    #[test]
    fn csv_round_trips_quoted_fields(rows in proptest::collection::vec(proptest::collection::vec("[a-z,\"\n ]{1,8}", 3), 1..20)) {
        let mut text = String::from("a,b,c\n");
        for r in &rows {
            text.push_str(&r.iter().map(|f| quote(f)).collect::<Vec<_>>().join(","));
            text.push('\n');
        }
        let parsed = rows_of(text.as_bytes()).expect("well-formed CSV parses");
        let expect: Vec<Vec<Option<String>>> = rows.iter().map(|r| r.iter().map(|f| Some(f.clone())).collect()).collect();
        prop_assert_eq!(parsed, expect);
    }
}

proptest! {
    #[test]
    fn number_fast_path_agrees_with_std(int in 0u64..10_000_000_000, frac in 0u32..100_000, neg in any::<bool>(), dot in any::<bool>()) {
        let s = if dot { format!("{}{int}.{frac}", if neg { "-" } else { "" }) } else { format!("{}{int}", if neg { "-" } else { "" }) };
        let want: f64 = s.parse().expect("std parses");
        let got = assay_data::read::parse_num(&s).expect("parses");
        prop_assert_eq!(got.to_bits(), want.to_bits(), "{}", s);
    }
}
