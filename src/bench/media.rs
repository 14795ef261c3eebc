//! `loa bench media`: Loa's image pipeline against ImageMagick doing the same work.
//!
//! The question it answers is whether processing uploads in-process is fast enough, or whether
//! Loa should shell out to ImageMagick as many CMSs do. Both sides do the same steps: strip and
//! orient a master, then cut five JPEG variants from it. The figures are wall-clock time for the
//! whole step, including ImageMagick's process start-up, since a deployment would pay it too.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::media::{self, Focal, Format, MediaLimits, VariantKind};

/// Quality of the generated photo: what phone cameras write.
const GENERATED_QUALITY: u8 = 92;

pub struct Options {
    pub file: PathBuf,
    pub runs: u32,
    /// Write a synthetic 4000 × 3000 photo to `file` first.
    pub generate: bool,
}

pub fn run(opts: Options) -> anyhow::Result<()> {
    if opts.generate {
        generate(&opts.file)?;
    }
    let input = std::fs::read(&opts.file)
        .with_context(|| format!("cannot read {}", opts.file.display()))?;
    let runs = opts.runs.max(1);
    let limits = MediaLimits::default();
    let probe = media::ingest(&input, &limits).map_err(|e| {
        anyhow::anyhow!(
            "{} is not an acceptable upload: {}",
            opts.file.display(),
            e.key
        )
    })?;
    println!(
        "{}: {} {}×{}, {} KB; {runs} runs, {} CPU(s)",
        opts.file.display(),
        probe.format.as_str(),
        probe.width,
        probe.height,
        input.len() / 1024,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );

    let focal = Focal::default();
    let ingest = time(runs, || {
        media::ingest(&input, &limits)
            .map(drop)
            .map_err(|e| anyhow::anyhow!(e.key))
    })?;
    let render = time(runs, || media::render_all(&probe.bytes, focal).map(drop))?;
    let one_thread = time(runs, || {
        let master = image::load_from_memory(&probe.bytes)?;
        media::render_all_decoded(&master, focal, false).map(drop)
    })?;
    let total = time(runs, || {
        let ingested = media::ingest(&input, &limits).map_err(|e| anyhow::anyhow!(e.key))?;
        media::render_all(&ingested.bytes, focal).map(drop)
    })?;

    let mut rows = vec![
        Row::new("master (ingest)", ingest),
        Row::new("5 variants", render),
        Row::new("5 variants, one thread", one_thread),
        Row::new("total", total),
        Row::new("total, one convert process", None),
    ];
    match imagemagick() {
        Err(why) => println!("ImageMagick: {why}; only Loa's figures are shown"),
        Ok(convert) => {
            println!("ImageMagick: {}", convert.display());
            let im = Magick::new(convert, &opts.file, probe.format)?;
            let result = im
                .measure(runs, &mut rows)
                .and_then(|()| print_sizes(&probe.bytes, Some(&im)));
            im.clean_up();
            result?;
        }
    }
    if rows[0].magick.is_none() {
        print_sizes(&probe.bytes, None)?;
    }
    print_table(&rows);
    Ok(())
}

/// Sizes say whether the two sides did comparable work: a much smaller file at the same
/// nominal quality would mean a different encoder setting, not a faster pipeline.
fn print_sizes(master: &[u8], im: Option<&Magick>) -> anyhow::Result<()> {
    println!("\noutput sizes, KB (Loa / ImageMagick):");
    let kb = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len() / 1024);
    let theirs = im
        .map(|im| kb(im.master.clone()).to_string())
        .unwrap_or_default();
    println!(
        "  {:<16} {:>6} / {theirs:>6}",
        "master",
        master.len() / 1024
    );
    for v in media::render_all(master, Focal::default())? {
        let theirs = im
            .map(|im| kb(im.out(v.kind)).to_string())
            .unwrap_or_default();
        println!(
            "  {:<16} {:>6} / {theirs:>6}",
            v.kind.as_str(),
            v.bytes.len() / 1024
        );
    }
    Ok(())
}

/// Gradients, shapes and sensor-like grain: compresses like a photo, not like a test card.
fn generate(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!(
            "{} exists and --generate does not overwrite files: leave out --generate to time \
             that file, or give a new name",
            path.display()
        );
    }
    let img = media::sample::synthetic_photo(4000, 3000, 12, 2024);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, GENERATED_QUALITY)
        .encode_image(&img)?;
    std::fs::write(path, &out).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "wrote {} (4000×3000, {} KB)",
        path.display(),
        out.len() / 1024
    );
    Ok(())
}

#[derive(Clone, Copy)]
struct Stats {
    median: Duration,
    min: Duration,
}

fn time(runs: u32, mut f: impl FnMut() -> anyhow::Result<()>) -> anyhow::Result<Option<Stats>> {
    let mut all = Vec::with_capacity(runs as usize);
    for _ in 0..runs {
        let start = Instant::now();
        f()?;
        all.push(start.elapsed());
    }
    all.sort();
    Ok(Some(Stats {
        median: all[all.len() / 2],
        min: all[0],
    }))
}

struct Row {
    step: &'static str,
    loa: Option<Stats>,
    magick: Option<Stats>,
}

impl Row {
    fn new(step: &'static str, loa: Option<Stats>) -> Row {
        Row {
            step,
            loa,
            magick: None,
        }
    }
}

fn print_table(rows: &[Row]) {
    let ms = |s: Option<Stats>| match s {
        Some(s) => format!(
            "{:>7.1} / {:>7.1}",
            s.median.as_secs_f64() * 1e3,
            s.min.as_secs_f64() * 1e3
        ),
        None => format!("{:>17}", "—"),
    };
    println!();
    println!(
        "{:<28} {:>17}  {:>17}  {:>6}",
        "step", "Loa ms (med/min)", "ImageMagick ms", "ratio"
    );
    // The one-process ImageMagick run does everything, so it is compared with Loa's total.
    let loa_total = rows.iter().find(|r| r.step == "total").and_then(|r| r.loa);
    for r in rows {
        let loa = r.loa.or(if r.magick.is_some() { loa_total } else { None });
        let ratio = match (loa, r.magick) {
            (Some(l), Some(m)) => {
                format!("{:>5.2}×", m.median.as_secs_f64() / l.median.as_secs_f64())
            }
            _ => String::new(),
        };
        if r.loa.is_none() && r.magick.is_none() {
            continue;
        }
        println!("{:<28} {}  {}  {ratio:>6}", r.step, ms(r.loa), ms(r.magick));
    }
    println!("\nratio = ImageMagick median / Loa median (above 1: Loa is faster).");
}

/// A `convert` (or ImageMagick 7 `magick`) on PATH that says it is ImageMagick. Native
/// binaries are preferred over script wrappers, whose interpreter start-up would be timed on
/// every call and flatter Loa.
fn imagemagick() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let candidates: Vec<PathBuf> = std::env::split_paths(&path)
        .flat_map(|dir| [dir.join("convert"), dir.join("magick")])
        .filter(|p| p.is_file())
        .collect();
    let is_magick = |p: &PathBuf| {
        Command::new(p)
            .arg("-version")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("ImageMagick"))
    };
    let is_script = |p: &PathBuf| std::fs::read(p).is_ok_and(|b| b.starts_with(b"#!"));
    if let Some(native) = candidates.iter().find(|p| !is_script(p) && is_magick(p)) {
        return Ok(native.clone());
    }
    if let Some(wrapper) = candidates.iter().find(|p| is_magick(p)) {
        println!(
            "note: {} is a script wrapper; its start-up is included",
            wrapper.display()
        );
        return Ok(wrapper.clone());
    }
    if candidates.is_empty() {
        anyhow::bail!("no convert or magick on PATH")
    }
    anyhow::bail!("{} is not ImageMagick", candidates[0].display())
}

/// ImageMagick doing Loa's work, with its outputs in a scratch directory.
struct Magick {
    convert: PathBuf,
    input: PathBuf,
    dir: PathBuf,
    master: PathBuf,
}

impl Magick {
    fn new(convert: PathBuf, input: &Path, format: Format) -> anyhow::Result<Magick> {
        let dir = std::env::temp_dir().join(format!("loa-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let master = dir.join(format!("master.{}", format.extension()));
        Ok(Magick {
            convert,
            input: input.to_path_buf(),
            dir,
            master,
        })
    }

    fn out(&self, kind: VariantKind) -> PathBuf {
        self.dir.join(format!("{}.jpg", kind.as_str()))
    }

    fn convert(&self, args: &[String]) -> anyhow::Result<()> {
        let out = Command::new(&self.convert).args(args).output()?;
        if !out.status.success() {
            anyhow::bail!(
                "convert {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    fn master_args(&self) -> Vec<String> {
        let mut args = vec!["-auto-orient".to_string(), "-strip".to_string()];
        // The settings Loa's master encoders use, so both write the same kind of file.
        match self.master.extension().and_then(|e| e.to_str()) {
            Some("jpg") => args.extend([
                "-quality".to_string(),
                media::MASTER_JPEG_QUALITY.to_string(),
            ]),
            Some("webp") => args.extend(["-define".to_string(), "webp:lossless=true".to_string()]),
            _ => {}
        }
        args
    }

    /// Fill the box, then cut the overflow evenly: ImageMagick's usual centre crop.
    fn variant_args(kind: VariantKind, quality: u8) -> Vec<String> {
        let (w, h) = kind.size();
        [
            "-resize",
            &format!("{w}x{h}^"),
            "-gravity",
            "center",
            "-extent",
            &format!("{w}x{h}"),
        ]
        .into_iter()
        .map(String::from)
        .chain(["-quality".to_string(), quality.to_string()])
        .collect()
    }

    fn make_master(&self) -> anyhow::Result<()> {
        let mut args = vec![self.input.display().to_string()];
        args.extend(self.master_args());
        args.push(self.master.display().to_string());
        self.convert(&args)
    }

    /// One process per output, as a shell script would run them; the Zalo cover steps its
    /// quality down exactly as Loa does. Returns the quality the cover ended at.
    fn make_variants(&self) -> anyhow::Result<u8> {
        let mut zalo = 0;
        for kind in VariantKind::ALL {
            for &q in kind.qualities() {
                let mut args = vec![self.master.display().to_string()];
                args.extend(Self::variant_args(kind, q));
                args.push(self.out(kind).display().to_string());
                self.convert(&args)?;
                let size = std::fs::metadata(self.out(kind))?.len() as usize;
                if kind.max_bytes().is_none_or(|max| size < max) {
                    if kind == VariantKind::ZaloCover {
                        zalo = q;
                    }
                    break;
                }
            }
        }
        Ok(zalo)
    }

    /// Everything in one process: decode once, write each output from a clone of the pixels.
    fn single_process(&self, zalo_quality: u8) -> anyhow::Result<()> {
        let mut args = vec![self.input.display().to_string()];
        args.extend(self.master_args());
        args.extend(["-write".to_string(), self.master.display().to_string()]);
        for kind in VariantKind::ALL {
            let q = if kind == VariantKind::ZaloCover {
                zalo_quality
            } else {
                kind.qualities()[0]
            };
            args.extend(["(".to_string(), "+clone".to_string()]);
            args.extend(Self::variant_args(kind, q));
            args.extend(["-write".to_string(), self.out(kind).display().to_string()]);
            args.extend(["+delete".to_string(), ")".to_string()]);
        }
        args.push("null:".to_string());
        self.convert(&args)
    }

    fn measure(&self, runs: u32, rows: &mut [Row]) -> anyhow::Result<()> {
        self.make_master()?;
        let zalo = self.make_variants()?;
        let master = time(runs, || self.make_master())?;
        let variants = time(runs, || self.make_variants().map(drop))?;
        let total = time(runs, || {
            self.make_master()?;
            self.make_variants().map(drop)
        })?;
        let single = time(runs, || self.single_process(zalo))?;
        for (row, stats) in rows.iter_mut().zip([master, variants, None, total, single]) {
            row.magick = stats;
        }
        Ok(())
    }

    fn clean_up(&self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
