//! The SST builder of the RocksDB model against real files: every fixture
//! in `tests/data/sst/` (SSTs Flink 1.20.5 and 2.2.1 wrote) is parsed,
//! rebuilt from its entries and must come out with the same size and the
//! same bytes; Snappy blocks must equal C++ snappy's.
use statecap::backend::rocksdb::sst::*;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "sst") {
            out.push(p);
        }
    }
}

fn fixture_files() -> Vec<PathBuf> {
    let mut v = Vec::new();
    collect(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sst"),
        &mut v,
    );
    if let Ok(extra) = std::env::var("SST_SAMPLES_DIR") {
        for d in extra.split(':').filter(|d| !d.is_empty()) {
            collect(Path::new(d), &mut v);
        }
    }
    v.sort();
    v
}

fn explain(real: &ParsedSst, mine: &[u8]) -> String {
    let mut s = String::new();
    let Ok(q) = parse_sst(mine) else {
        return "rebuilt file does not parse".into();
    };
    if real.data_blocks.len() != q.data_blocks.len() {
        s += &format!(
            "data blocks {} vs {}\n",
            real.data_blocks.len(),
            q.data_blocks.len()
        );
    }
    for (i, (a, b)) in real.data_blocks.iter().zip(&q.data_blocks).enumerate() {
        if a.handle != b.handle
            || a.compression != b.compression
            || a.raw != b.raw
            || a.checksum != b.checksum
        {
            s += &format!(
                "block {i}: real {:?} c{} raw {} | mine {:?} c{} raw {} (raw equal {})\n",
                a.handle,
                a.compression,
                a.raw.len(),
                b.handle,
                b.compression,
                b.raw.len(),
                a.raw == b.raw
            );
        }
    }
    if real.index_block.raw != q.index_block.raw || real.index_block.handle != q.index_block.handle
    {
        s += &format!(
            "index: real {:?} c{} | mine {:?} c{}\n",
            real.index_block.handle,
            real.index_block.compression,
            q.index_block.handle,
            q.index_block.compression
        );
    }
    for (k, v) in &real.properties {
        if q.properties.get(k) != Some(v) {
            s += &format!(
                "prop {}: real {:?} mine {:?}\n",
                String::from_utf8_lossy(k),
                v,
                q.properties.get(k)
            );
        }
    }
    s
}

#[test]
fn every_real_sst_is_rebuilt_byte_identically() {
    let files = fixture_files();
    assert!(
        files.len() >= 30,
        "expected fixtures in tests/data, found {}",
        files.len()
    );
    let (mut v6, mut v8, mut failures) = (0, 0, Vec::new());
    for path in &files {
        let file = std::fs::read(path).unwrap();
        let parsed = parse_sst(&file).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        match parsed.guess_version() {
            RocksVersion::V6_20 => v6 += 1,
            RocksVersion::V8_10 => v8 += 1,
        }
        // the representative template has exactly the file's set of non-computed properties
        let tpl = PropsTemplate::flink(&parsed.table_options(), &FlinkPropsEnv::default());
        let real_tpl = PropsTemplate::from_file_properties(&parsed.properties);
        assert!(
            tpl.props.keys().eq(real_tpl.props.keys()),
            "{}: property names differ",
            path.display()
        );
        let (size, bytes) = rebuild(&parsed);
        // the size-only path must agree with the byte-producing one
        let mut sizer = SstBuilder::new(
            parsed.table_options(),
            PropsTemplate::from_file_properties(&parsed.properties),
        );
        for e in &parsed.entries {
            sizer.add(e.user_key(), e.seq(), e.vtype(), &e.value);
        }
        let (size2, _) = sizer.finish();
        assert_eq!(size, size2, "{}", path.display());
        assert_eq!(size.entries as usize, parsed.entries.len());
        assert_eq!(size.data_blocks as usize, parsed.data_blocks.len());
        if size.file_bytes != file.len() as u64 || bytes != file {
            failures.push(format!(
                "{}: size {} vs real {}\n{}",
                path.display(),
                size.file_bytes,
                file.len(),
                explain(&parsed, &bytes)
            ));
        }
    }
    eprintln!(
        "checked {} files ({} FRocksDB 6.20, {} FRocksDB 8.10)",
        files.len(),
        v6,
        v8
    );
    assert!(v6 > 0 && v8 > 0);
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Snappy: recompressing every real compressed block with the `snap` crate
/// must give C++ snappy's bytes.
#[test]
fn snap_crate_matches_cpp_snappy_on_real_blocks() {
    let mut n = 0;
    let mut enc = snap::raw::Encoder::new();
    for path in fixture_files() {
        let file = std::fs::read(&path).unwrap();
        let p = parse_sst(&file).unwrap();
        for b in p.data_blocks.iter().chain(std::iter::once(&p.index_block)) {
            if b.compression == 1 {
                let stored =
                    &file[b.handle.offset as usize..(b.handle.offset + b.handle.size) as usize];
                assert_eq!(
                    enc.compress_vec(&b.raw).unwrap(),
                    stored,
                    "{}",
                    path.display()
                );
                n += 1;
            }
        }
    }
    eprintln!("{n} snappy blocks identical");
    assert!(n > 100);
}
