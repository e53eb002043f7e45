#!/usr/bin/env python3
"""Writes a generated collection CSV for the import benchmark.

    scripts/gen-collection-csv.py ROWS OUT.csv

Columns as a museum's export has them ("Accession Number", "Title", "Artist",
"Date", "Medium", "Dimensions", "Credit Line", "Classification", "Department",
"Notes"), with a UTF-8 BOM, quoted commas and newlines, non-ASCII names and
some empty or 0 years. Deterministic (seeded).
"""
import csv
import random
import sys

rows, out = int(sys.argv[1]), sys.argv[2]
rng = random.Random(42)
makers = ["Mary Bowden", "José Álvarez", "Zoë Clarke", "Ōta Hiroshi", "Siân Evans", "Unknown maker",
          "Tiverton Lace Co.", "Bridget O'Neill", "Kwame Mensah", "Ewa Wójcik", "Heathcoat & Co."]
things = ["lace collar", "pottery jug", "railway poster", "school photograph", "wooden toy", "market bell",
          "sampler", "tin box", "mill ledger", "shop sign", "wedding dress", "hand plane", "postcard"]
places = ["Tiverton", "Crediton", "Cullompton", "Bampton", "Exeter", "Tiverton, Devon"]
media = ["Cotton lace", "Earthenware, glazed", "Lithograph on paper", "Gelatin silver print", "Oak",
         "Bronze", "Wool on linen", "Tinplate", "Ink on paper", "Painted pine"]
classes = ["Textiles", "Ceramics", "Works on paper", "Photographs", "Toys", "Metalwork", "Social history"]
with open(out, "w", newline="", encoding="utf-8-sig") as f:
    w = csv.writer(f)
    w.writerow(["Accession Number", "Title", "Artist", "Date", "Medium", "Dimensions", "Credit Line",
                "Classification", "Department", "Notes"])
    for i in range(rows):
        year = rng.randint(1780, 1990)
        r = rng.random()
        date = "" if r < 0.05 else ("0" if r < 0.07 else (f"c. {year}" if r < 0.5 else f"{year}-{year + rng.randint(1, 15)}"))
        thing = rng.choice(things)
        notes = "" if rng.random() < 0.7 else f"Found in {rng.choice(places)}.\nDonor's note: \"kept in the attic\", {year + 30}."
        w.writerow([f"TIV.{1900 + i // 100000}.{i % 100000:05d}", f"{thing.capitalize()}, {rng.choice(places)}",
                    rng.choice(makers), date, rng.choice(media),
                    f"{rng.randint(5, 900)} x {rng.randint(5, 900)} mm", f"Given by a Tiverton family, {year + 40}",
                    rng.choice(classes), "Social history", notes])
