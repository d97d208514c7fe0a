#!/usr/bin/env python3
"""Comparison groups (the pipeline's JSONL contract) written for the reward-training
tests: SOURCE SEED N groups of three responses with varied scores (0..20), so score
gaps make distinct margins; responses of higher score say "good" more often, which a
tiny model can learn. usage: reward_groups.py SOURCE SEED N > groups.jsonl"""
import json
import random
import sys

rng = random.Random(int(sys.argv[2]))
words = "bread yeast flour water salt oven knead rise dough warm cold proof crust crumb bake time".split()
src = sys.argv[1]
for g in range(int(sys.argv[3])):
    ctx = " ".join(rng.choice(words) for _ in range(rng.randint(5, 15)))
    resp = []
    for k in range(3):
        s = rng.choice([0, 1, 2, 4, 9, 20])
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 10))) + (" good" * (s // 4))
        resp.append({"id": str(k), "text": text, "score": s})
    print(json.dumps({"source": src, "id": f"{src}/q/{g}", "context": ctx, "responses": resp}))
