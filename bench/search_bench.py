"""The place search bench's client (see bench/search.sh): makes the queries from the index,
asks two navigli servers and the Lizmap-style SQL, writes the Markdown table.

    search_bench.py DATABASE_URL NAVIGLI_GPKG_PORT NAVIGLI_POSTGIS_PORT N REPORT.md
"""
import http.client, json, random, sys, time, unicodedata, urllib.parse
import psycopg2

db, p1, p2, n, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
conn = psycopg2.connect(db)
cur = conn.cursor()
random.seed(13)
cur.execute("SELECT kind, count(*) FROM navigli_search GROUP BY kind ORDER BY kind")
counts = dict(cur.fetchall())
targets = []
share = {"comune": 0.15, "servizio": 0.15, "strada": 0.30, "civico": 0.40}
for kind, part in share.items():
    cur.execute("SELECT layer, fid, scope, label FROM navigli_search WHERE kind = %s ORDER BY id", (kind,))
    rows = cur.fetchall()
    for r in random.sample(rows, min(len(rows), max(1, round(n / 4 * part)))):
        targets.append((kind,) + r)

def plain(s):
    return "".join(c for c in unicodedata.normalize("NFD", s.lower()) if unicodedata.category(c) != "Mn")
def half(s):
    w = s.split()
    return " ".join(w[:-1] + [w[-1][:3]]) if len(w[-1]) > 3 else s
def typo(s):
    w = s.split()
    i = max(range(len(w)), key=lambda k: len(w[k]))
    x = w[i]
    if len(x) < 5:
        return s
    j = random.randrange(1, len(x) - 2)
    w[i] = x[:j] + x[j + 1] + x[j] + x[j + 2:]
    return " ".join(w)
queries = []
for kind, layer, fid, scope, label in targets:
    tenant = "cmm" if kind == "comune" else scope
    for form, q in (("written", label), ("plain", plain(label)), ("half typed", half(label)), ("one typo", typo(label))):
        queries.append((form, kind, tenant, q, (layer, fid)))

def navigli(port):
    c = http.client.HTTPConnection("127.0.0.1", port)
    def ask(tenant, q):
        c.request("GET", f"/{tenant}/search?" + urllib.parse.urlencode({"q": q, "limit": 10}))
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (r.status, body[:200])
        return [(f["properties"]["layer"], f["properties"]["fid"]) for f in json.loads(body)["features"]]
    return ask

def lizmap():
    # One trigram-indexed LIKE per word (the index serves each), the tenant's filter when not cmm.
    def ask(tenant, q):
        words = [w.replace("%", "").replace("_", "") for w in q.split()]
        where = " AND ".join(["lower(f_unaccent(item_label)) LIKE '%%' || lower(f_unaccent(%s)) || '%%'"] * len(words))
        args = list(words)
        if tenant != "cmm":
            where += " AND item_filter = %s"
            args.append(tenant)
        cur.execute(f"SELECT item_layer, fid FROM lizmap_search WHERE {where} "
                    "ORDER BY similarity(lower(f_unaccent(item_label)), lower(f_unaccent(%s))) DESC, item_label LIMIT 10", args + [q])
        return cur.fetchall()
    return ask

systems = [("navigli, GeoPackage (SQLite FTS5)", navigli(p1)), ("navigli, PostGIS (full text)", navigli(p2)), ("Lizmap-style SQL (unaccent + ILIKE + pg_trgm)", lizmap())]
results = {}
for name, ask in systems:
    for _ in range(2):
        times, found = [], []
        for form, kind, tenant, q, want in queries:
            t = time.perf_counter()
            got = ask(tenant, q)
            times.append((time.perf_counter() - t) * 1000)
            found.append(want in [tuple(g) for g in got])
    results[name] = (times, found)

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]
lines = []
lines.append(f"Index: {sum(counts.values())} entries ({', '.join(f'{v} {k}' for k, v in counts.items())}); {len(queries)} queries "
             f"({len(targets)} places × 4 forms).\n")
lines.append("| system | p50 ms | p95 ms | p99 ms | max ms | found (top 10) |")
lines.append("|---|---:|---:|---:|---:|---:|")
for name, (times, found) in results.items():
    lines.append(f"| {name} | {pct(times, 50):.2f} | {pct(times, 95):.2f} | {pct(times, 99):.2f} | {max(times):.2f} | {100 * sum(found) / len(found):.1f} % |")
lines.append("")
lines.append("Found, by form of the query:\n")
forms = ["written", "plain", "half typed", "one typo"]
lines.append("| system | " + " | ".join(forms) + " |")
lines.append("|---|" + "---:|" * len(forms))
for name, (times, found) in results.items():
    cells = []
    for f in forms:
        fs = [ok for ok, qq in zip(found, queries) if qq[0] == f]
        cells.append(f"{100 * sum(fs) / len(fs):.0f} %")
    lines.append(f"| {name} | " + " | ".join(cells) + " |")
lines.append("")
peer = results[systems[2][0]][0]
for name, _ in systems[:2]:
    ours = results[name][0]
    lines.append(f"- Lizmap-style SQL alone ÷ {name} over HTTP: p50 **{pct(peer, 50) / pct(ours, 50):.2f}×**, "
                 f"p95 **{pct(peer, 95) / pct(ours, 95):.2f}×** (above 1: navigli answers sooner)")
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
