"""Does training on the reviewed seeds fix "Mali", and what happens to the labels the gold does not use?

Usage: python benchmarks/mali_check.py [--max-steps N]

The seeds reviewed as in the tests (every "Mali" relabelled GPE: the default pipeline calls
it PERSON; boilerplate marked; "junta" added as NORP; all accepted). Three trainings from the
default pipeline, same seed and settings:

1. the seeds alone (no unreviewed text, so no rehearsal);
2. the seeds plus UNREVIEWED below (hand-written news-like paragraphs, imported unreviewed and
   pre-annotated by the base) with rehearsal off (``--rehearsal 0``);
3. the same with rehearsal on (the default).

For each: dev P/R/F per label before and after (the dev split of the seeds is one document),
"Mali" in ten sentences none of the training text contains, and, for 2 and 3, how many of the
base's entities per label the trained pipeline still predicts on the held-out unreviewed
paragraphs (the same ones in both runs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

UNSEEN = [
    "Mali has asked the United Nations to withdraw its peacekeepers.",
    "The army of Mali said it had retaken the town after two days of fighting.",
    "Officials in Mali said on Monday that the talks would resume next week.",
    "Mali, Burkina Faso and Niger formed a new alliance of Sahel states.",
    "Mali's government denied the report published by the newspaper.",
    "Flights between Paris and Mali were suspended for a month.",
    "Residents of northern Mali fled the fighting towards the border.",
    "Mali expelled the French ambassador last year.",
    "The president of Mali met Vladimir Putin in Moscow.",
    "Gold exports from Mali rose sharply in the first quarter.",
]

UNREVIEWED = [
    "The 2024 Summer Olympics opened in Paris on July 26, and about 10,500 athletes took part.",
    "Apple sold 10 million iPhones in China during the first quarter, up 5 percent from a year earlier.",
    "The Affordable Care Act was signed into law in March 2010 by President Barack Obama.",
    "She read War and Peace in Russian before translating it into French for a small publisher.",
    "The flight left Heathrow at 9 a.m. and landed in New York seven hours later.",
    "The storm dumped 40 centimetres of snow on Boston, and the mayor closed schools for a second day.",
    "Toyota recalled 1.2 million Corolla cars after reports of faulty airbags in Japan and the United States.",
    "The World Cup final drew 1.5 billion viewers, FIFA said on Sunday.",
    "Inflation in the eurozone fell to 2.4 percent in November, the lowest rate in two years.",
    "The museum paid $45 million for the Mona Lisa replica, a record for a copy.",
    "Bambara is spoken by about 15 million people, most of them in West Africa.",
    "The Treaty of Versailles was signed on 28 June 1919 in the Hall of Mirrors.",
    "Microsoft released Windows 11 in October 2021, six years after Windows 10.",
    "The marathon runners covered 42 kilometres in heat above 30 degrees.",
    "Taylor Swift's album 1989 sold more than a million copies in its first week.",
    "The company's shares fell 12 percent to $38.50 after the third-quarter results.",
    "Parliament passed the Data Protection Act by 312 votes to 204 on Wednesday night.",
    "The concert began at 8:30 p.m. at Madison Square Garden and ended after midnight.",
    "Samsung unveiled the Galaxy S24 in San Jose, priced at 799 dollars.",
    "The Tour de France finished in Nice for the first time because of the Paris Olympics.",
    "Spanish and Portuguese are the most widely spoken languages in South America.",
    "The ship carried 20,000 tonnes of wheat from Odesa to Istanbul last Tuesday.",
    "Harper Lee's novel To Kill a Mockingbird won the Pulitzer Prize in 1961.",
    "The central bank raised interest rates by a quarter of a percentage point to 5.25 percent.",
    "About 3,000 people attended the Glastonbury Festival's opening night on Wednesday.",
    "The Boeing 737 MAX was grounded worldwide for 20 months after two crashes.",
    "Under the Clean Air Act, the agency must review the standards every five years.",
    "The second round of the election will take place on 7 July, two weeks after the first.",
    "Netflix spent nearly $17 billion on content in 2023, according to its annual report.",
    "The hikers climbed 1,200 metres in six hours before reaching the hut at dusk.",
]


def annotator(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-m", "annotator", *args, "--machine"], check=True, capture_output=True,
                          text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def mali_labels(nlp) -> dict[str, int]:
    counts: dict[str, int] = {}
    for doc in nlp.pipe(UNSEEN):
        found = [e.label_ for e in doc.ents if e.text == "Mali"]
        key = found[0] if found else "(no entity)"
        counts[key] = counts.get(key, 0) + 1
    return counts


def report(title: str, result: dict, base_mali: dict[str, int]) -> None:
    import spacy

    scores = result["scores"]
    before, after = scores["base_dev"], scores["dev"]
    print(f"\n== {title}: {result['steps']} steps, {result['train_documents']} train + {result['rehearsal_documents']} "
          f"rehearsal document(s), {result['dev_documents']} dev document(s)")
    print(f"dev overall  P/R/F before {fmt(before)}   after {fmt(after)}")
    for label in sorted(set(before["ents_per_type"] or {}) | set(after["ents_per_type"] or {})):
        b, a = (before["ents_per_type"] or {}).get(label), (after["ents_per_type"] or {}).get(label)
        print(f"  {label:<12} before {fmt(b, 'p', 'r', 'f')}   after {fmt(a, 'p', 'r', 'f')}")
    print(f'"Mali" in {len(UNSEEN)} unseen sentences: base {base_mali}, trained {mali_labels(spacy.load(result["path"]))}')
    retention = scores.get("retention")
    if retention:
        print(f"held-out unreviewed paragraphs ({scores['retention_documents']}): base entities still predicted")
        for label, r in retention.items():
            print(f"  {label:<12} {r['kept']:>3} of {r['base']:>3}   (trained predicts {r['trained']})")
    unused = scores.get("unused_labels")
    print(f"labels the gold does not use: {', '.join(unused or [])}")


def fmt(s, p="ents_p", r="ents_r", f="ents_f") -> str:
    if not s:
        return "    —      —      —  "
    return f"{100 * s[p]:5.1f}  {100 * s[r]:5.1f}  {100 * s[f]:5.1f}"


def main() -> None:
    import spacy

    from annotator.pipeline import DEFAULT_MODEL, load_pipeline
    from annotator.store import Store
    from tests.seed_review import review_seeds

    parser = argparse.ArgumentParser()
    parser.add_argument("--max-steps", type=int, default=600)
    args = parser.parse_args()
    steps = ["--max-steps", str(args.max_steps)]
    base_mali = mali_labels(spacy.load(DEFAULT_MODEL))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seeds = work / "seeds.db"
        with Store.open(seeds) as store:
            review_seeds(store, load_pipeline())
            store.db.execute("PRAGMA journal_mode = DELETE").fetchone()
        report("seeds only", annotator("train", "--db", str(seeds), *steps, "--out", str(work / "m1")), base_mali)
        mixed = work / "mixed.db"
        shutil.copy(seeds, mixed)
        folder = work / "unreviewed"
        folder.mkdir()
        for i, text in enumerate(UNREVIEWED):
            (folder / f"u{i:02d}.txt").write_text(text + "\n", encoding="utf-8")
        subprocess.run([sys.executable, "-m", "annotator", "import", str(folder), "--db", str(mixed)], check=True,
                       capture_output=True)
        subprocess.run([sys.executable, "-m", "annotator", "preannotate", "--db", str(mixed)], check=True,
                       capture_output=True)
        report("seeds + unreviewed paragraphs, rehearsal off",
               annotator("train", "--db", str(mixed), *steps, "--rehearsal", "0", "--out", str(work / "m2")), base_mali)
        report("seeds + unreviewed paragraphs, rehearsal on (default)",
               annotator("train", "--db", str(mixed), *steps, "--out", str(work / "m3")), base_mali)


if __name__ == "__main__":
    main()
