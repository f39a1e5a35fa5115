"""The reference for test/data/coco-labels.test.ts: label maps of a COCO instances file built with
pycocotools' own decoding (COCO.annToRLE -> frPyObjects / merge, mask.decode) under the overlap
rule lib/data/coco/label-map.ts follows (coco2voc's: instances by their `area` field, smallest
first, ties in file order; a pixel keeps the first class painted; crowd regions painted too),
with category ids numbered 1..N in id order.

usage: coco_label_maps.py instances.json  ->  JSON on stdout:
  {"kept": [image ids with an annotation, file order],
   "images": {id: {"labels": base64 of the row-major uint8 map, "tags": [...],
                   "overlap": pixels under two or more instances, "crowd": pixels under a crowd region}}}
"""

import base64
import contextlib
import json
import sys

import numpy as np
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO


def main(path):
    with contextlib.redirect_stdout(sys.stderr):  # COCO() prints its progress
        coco = COCO(path)
    class_of = {cid: k + 1 for k, cid in enumerate(sorted(coco.getCatIds()))}
    out = {"kept": [], "images": {}}
    for image_id, image in coco.imgs.items():
        anns = coco.loadAnns(coco.getAnnIds(imgIds=[image_id]))
        if not anns:
            continue
        out["kept"].append(image_id)
        h, w = image["height"], image["width"]
        labels = np.zeros((h, w), dtype=np.uint8)
        cover = np.zeros((h, w), dtype=np.int32)
        crowd = np.zeros((h, w), dtype=bool)
        for ann in sorted(anns, key=lambda a: a["area"]):
            m = mask_utils.decode(coco.annToRLE(ann)).astype(bool)
            labels = np.where(labels > 0, labels, m * class_of[ann["category_id"]]).astype(np.uint8)
            cover += m
            if ann.get("iscrowd", 0):
                crowd |= m
        out["images"][str(image_id)] = {
            "labels": base64.b64encode(np.ascontiguousarray(labels).tobytes()).decode("ascii"),
            "tags": sorted({class_of[a["category_id"]] for a in anns}),
            "overlap": int((cover >= 2).sum()),
            "crowd": int(crowd.sum()),
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
