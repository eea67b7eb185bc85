//! `tessera refs` as a user runs it: the real binary on real listings.

mod common;

use common::{fixture, tessera};

const SEED_BASE: &str = "http://127.0.0.1:8765/data/tiles/";

fn tail_from_coh(json: &[u8]) -> &[u8] {
    let marker = b"\"COH/.zattrs\"";
    let at = json
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("COH/.zattrs in output");
    &json[at..]
}

#[test]
fn output_is_byte_identical_to_the_seeds_from_coh_on() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("refs.json");
    let listing = fixture("earthbigdata_small.txt");
    let run = tessera(
        &[
            "refs",
            listing.to_str().unwrap(),
            "--baseurl",
            SEED_BASE,
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let ours = std::fs::read(&out).unwrap();
    let seed = std::fs::read(fixture("small_refs.json")).unwrap();
    assert!(
        tail_from_coh(&ours) == tail_from_coh(&seed),
        "output differs from the seed's after COH/.zattrs"
    );
    // The seed's per-variable figures, on stderr.
    assert!(stderr.contains("COH   files: 2376 (5561784 missing)  shape: 4, 4, 6, 193200, 432000"));
    assert!(stderr.contains("lsmap files: 148 (20285852 missing)  shape: 175, 2, 193200, 432000"));
    assert!(stderr.contains("3692 files from 3697 lines (5 without .tif, 0 skipped)"));
    // Nothing but the result is left in the output directory.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn stdin_and_stdout_work_and_the_default_base_is_the_bucket() {
    let listing = std::fs::read(fixture("earthbigdata_small.txt")).unwrap();
    let run = tessera(&["refs", "-", "--quiet"], Some(&listing));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.stderr.is_empty());
    let out = String::from_utf8(run.stdout).unwrap();
    assert!(out.contains(
        "\"COH/0.0.0.45.59\": [\"https://sentinel-1-global-coherence-earthbigdata.s3.us-west-2.amazonaws.com/data/tiles/N37W121/N37W121_winter_vv_COH06.tif\"]"
    ));
    assert!(out.ends_with("_175D_lsmap.tif\"]\n}"));
    serde_json::from_str::<serde_json::Value>(&out).expect("valid JSON");
}

const BAD_LISTING: &str = "\
2021-03-17 18:11:28          0 data/tiles/
2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_vv_COH12.tif
2021-03-03 13:49:18     120331 data/tiles/N83W121/N83W121_winter_vv_COH12.tif
2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_vv_COH12.tif
2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_176D_inc.tif
2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_xx_AMP.tif
2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_winter_vv_COH07.tif
2021-03-03 13:49:18     120331 data/tiles/N36W121/N36W121_autumn_vv_rho.tif
2021-03-03 13:49:18     120331 data/tiles/E36W121/whatever.tif
";

#[test]
fn bad_lines_are_reported_with_their_numbers_and_skipped() {
    let run = tessera(
        &["refs", "-", "--baseurl", SEED_BASE],
        Some(BAD_LISTING.as_bytes()),
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    for expected in [
        "<stdin>: line 3: data/tiles/N83W121/N83W121_winter_vv_COH12.tif: tile \"N83W121\": outside",
        "line 4: data/tiles/N36W121/N36W121_winter_vv_COH12.tif: second file for chunk COH/0.0.1.46.59 (first on line 2)",
        "line 5: data/tiles/N36W121/N36W121_176D_inc.tif: orbit 176 outside 1..175",
        "line 6: data/tiles/N36W121/N36W121_winter_xx_AMP.tif: unknown polarization \"xx\"",
        "line 7: data/tiles/N36W121/N36W121_winter_vv_COH07.tif: unknown repeat interval COH07",
        "line 8: data/tiles/N36W121/N36W121_autumn_vv_rho.tif: unknown season \"autumn\"",
        "line 9: data/tiles/E36W121/whatever.tif: no variable",
        "1 files from 9 lines (1 without .tif, 7 skipped)",
    ] {
        assert!(stderr.contains(expected), "missing {expected:?} in\n{stderr}");
    }
    let out = String::from_utf8(run.stdout).unwrap();
    // tifffile would drop the lone file's directory, giving a URL that 404s.
    assert!(out.contains("\"COH/0.0.1.46.59\": [\"http://127.0.0.1:8765/data/tiles/N36W121/N36W121_winter_vv_COH12.tif\"]"),
        "{out}");
    serde_json::from_str::<serde_json::Value>(&out).expect("valid JSON");
}

#[test]
fn strict_mode_fails_with_code_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let listing = dir.path().join("listing.txt");
    std::fs::write(&listing, BAD_LISTING).unwrap();
    let out = dir.path().join("refs.json");
    let run = tessera(
        &[
            "refs",
            listing.to_str().unwrap(),
            "--strict",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("line 3:"), "{stderr}");
    assert!(stderr.contains("7 .tif lines of"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_missing_listing_is_a_clear_error() {
    let run = tessera(&["refs", "/nonexistent/listing.txt"], None);
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("reading the listing /nonexistent/listing.txt"),
        "{stderr}"
    );
}

#[test]
fn help_explains_the_command() {
    let run = tessera(&["refs", "--help"], None);
    let help = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success());
    for expected in ["aws s3 ls", "--baseurl", "--strict", "LISTING", "global"] {
        assert!(help.contains(expected), "{expected} in\n{help}");
    }
}

#[test]
fn writing_to_a_fifo_keeps_it_a_fifo() {
    // `-o /dev/null` once renamed a regular file over the device: special
    // files must be written in place. A FIFO shows it without touching /dev.
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("refs.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let listing = fixture("earthbigdata_small.txt");
    let run = tessera(
        &[
            "refs",
            listing.to_str().unwrap(),
            "-q",
            "-o",
            fifo.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Checked before joining: had it been replaced, the reader would wait forever.
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let written = reader.join().unwrap();
    assert!(written.ends_with(b"_175D_lsmap.tif\"]\n}"));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// `--format parquet`: a folder with `.zmetadata` and record files named by
/// chunk number (xarray reading it is tested in xarray_interop.rs); a
/// second run replaces it; it needs -o and never replaces other folders.
#[test]
fn parquet_references_are_a_folder_of_record_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("refs.parq");
    let listing = fixture("earthbigdata_small.txt");
    let args = [
        "refs",
        listing.to_str().unwrap(),
        "--format",
        "parquet",
        "--record-size",
        "1000",
        "-o",
        out.to_str().unwrap(),
    ];
    for _ in 0..2 {
        let run = tessera(&args, None);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let zmetadata: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(".zmetadata")).unwrap()).unwrap();
    assert_eq!(zmetadata["record_size"], 1000);
    assert_eq!(
        zmetadata["metadata"]["COH/.zattrs"]["_ARRAY_DIMENSIONS"][0],
        "season"
    );
    // N36W121 (latitude index 46, longitude index 59) winter vv COH12 is
    // chunk 0.0.1.46.59 of a 4×4×6×161×360 grid: number
    // ((0·4+0)·6+1)·161·360 + 46·360 + 59.
    let number = 161 * 360 + 46 * 360 + 59;
    assert!(out
        .join(format!("COH/refs.{}.parq", number / 1000))
        .is_file());
    assert!(out.join("latitude/refs.0.parq").is_file());
    // Records without references are not written.
    assert!(!out.join("COH/refs.0.parq").exists());

    let no_output = tessera(&args[..args.len() - 2], None);
    assert!(!no_output.status.success());
    assert!(String::from_utf8_lossy(&no_output.stderr).contains("give it with -o"));

    let other = dir.path().join("photos");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("cat.jpg"), b"meow").unwrap();
    let mut into_other = args.to_vec();
    let last = into_other.len() - 1;
    into_other[last] = other.to_str().unwrap();
    let refused = tessera(&into_other, None);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not parquet references"));
    assert!(other.join("cat.jpg").is_file());
}

#[test]
fn a_listing_with_no_file_of_the_data_set_is_an_error() {
    let gzip = {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(BAD_LISTING.as_bytes()).unwrap();
        e.finish().unwrap()
    };
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for (what, input, strict) in [
        ("empty", Vec::new(), false),
        ("garbage", garbage, true),
        ("gzip", gzip, false),
        (
            "only bad lines",
            BAD_LISTING
                .lines()
                .skip(2)
                .take(1)
                .collect::<String>()
                .into_bytes(),
            true,
        ),
    ] {
        let mut args = vec!["refs", "-"];
        if strict {
            args.push("--strict");
        }
        let run = tessera(&args, Some(&input));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{what}: exit 0");
        assert!(run.stdout.is_empty(), "{what}: wrote something");
        assert!(
            stderr.contains("<stdin>: no file of the data set in ")
                && stderr.contains("nothing written"),
            "{what}: {stderr}"
        );
    }
    let run = tessera(&["refs", "-"], Some(b"a\nb\nc.tif\n"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr
            .contains("no file of the data set in 3 lines (2 without .tif, 1 .tif lines skipped)"),
        "{stderr}"
    );
}

#[test]
fn control_characters_of_a_listing_never_reach_the_terminal() {
    let listing =
        "2021-03-03 13:49:18 1 data/tiles/N36W121/N36W121_\x1b[31mwinter\x07_vv_COH12.tif\n\
                   2021-03-03 13:49:18 1 data/tiles/N36W121/N36W121_winter_vv_COH12.tif\n";
    let run = tessera(&["refs", "-"], Some(listing.as_bytes()));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        !stderr.contains('\x1b') && !stderr.contains('\x07'),
        "{stderr:?}"
    );
    assert!(
        stderr.contains("N36W121_\\u{1b}[31mwinter\\u{7}_vv_COH12.tif"),
        "{stderr}"
    );
}

#[test]
fn a_read_only_output_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("refs.json");
    std::fs::write(&out, "keep me").unwrap();
    let mut permissions = std::fs::metadata(&out).unwrap().permissions();
    permissions.set_readonly(true);
    std::fs::set_permissions(&out, permissions).unwrap();
    let run = tessera(
        &[
            "refs",
            fixture("earthbigdata_small.txt").to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(
        stderr.contains("exists and is read-only: not replaced"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep me");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}
