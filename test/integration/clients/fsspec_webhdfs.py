"""Drives fsspec's WebHDFS client against a Hops NameNode and prints one JSON object of results.

Usage: fsspec_webhdfs.py HOST PORT USER OTHER_USER BASE PRIVATE_FILE

Run by test/integration/webhdfs-clients.int.test.ts with Debian's /usr/bin/python3
(apt install python3-fsspec). Everything happens under BASE (created here); PRIVATE_FILE is a
file the test created in a directory OTHER_USER may not enter. Data is the pattern
byte(i) = (i * 31 + 7) % 251, which the test recomputes.
"""

import hashlib
import json
import sys

from fsspec.implementations.webhdfs import WebHDFS


def pattern(n, start=0):
    return bytes(((i * 31 + 7) % 251) for i in range(start, start + n))


def sha(data):
    return hashlib.sha256(data).hexdigest()


def error_of(fn):
    """The exception type name fn raises (and its message), or None."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - we report whatever fsspec raises
        return {"type": type(e).__name__, "message": str(e)}
    return None


def main():
    host, port, user, other, base, private_file = sys.argv[1:7]
    fs = WebHDFS(host, port=int(port), user=user, skip_instance_cache=True)
    out = {}
    out["home"] = fs.home_directory()

    fs.mkdir(base + "/dir/sub")  # MKDIRS creates the parents
    out["mkdir_isdir"] = fs.isdir(base + "/dir/sub")

    # Writes: CREATE (307, no redirect followed), PUT an empty body to the DataNode URL, then
    # one POST op=APPEND per buffered chunk to the same URL with CREATE replaced by APPEND.
    sizes = {"empty.bin": 0, "one.bin": 1, "small.bin": 1000, "big.bin": 2_621_440 + 123}
    for name, size in sizes.items():
        with fs.open(f"{base}/dir/{name}", "wb", block_size=512 * 1024) as f:
            data = pattern(size)
            # Several write() calls so buffering splits the upload into chunks.
            for i in range(0, size, 100_000):
                f.write(data[i : i + 100_000])
    # Overwrite (fsspec always sends overwrite=true).
    with fs.open(f"{base}/dir/small.bin", "wb") as f:
        f.write(pattern(700, 5))

    # Append mode: APPEND (307 Location) then one POST per chunk, growing past the 64 KiB limit.
    with fs.open(f"{base}/dir/one.bin", "ab", block_size=40 * 1024) as f:
        rest = pattern(100_000, 1)
        for i in range(0, len(rest), 30_000):
            f.write(rest[i : i + 30_000])
    sizes["one.bin"] = 100_001
    # A name to percent-encode (fsspec quotes the path as UTF-8).
    odd = f"{base}/odd name+ü.txt"
    with fs.open(odd, "wb") as f:
        f.write("ünïcödé".encode())
    out["odd"] = {"ls": fs.ls(base), "data": fs.cat_file(odd).decode(), "size": fs.info(odd)["size"]}
    fs.rm(odd)

    out["ls"] = fs.ls(base + "/dir")
    out["ls_detail"] = [
        {"name": i["name"], "type": i["type"], "size": i["size"]}
        for i in fs.ls(base + "/dir", detail=True)
    ]
    info = fs.info(base + "/dir/big.bin")
    out["info"] = {"type": info["type"], "size": info["size"], "owner": info["owner"]}

    reads = {}
    for name, size in sizes.items():
        got = fs.cat_file(f"{base}/dir/{name}")
        reads[name] = {"len": len(got), "ok": got == pattern(size)}
    got = fs.cat_file(f"{base}/dir/small.bin")
    reads["small.bin"] = {"len": len(got), "ok": got == pattern(700, 5)}
    out["reads"] = reads

    # Ranged reads: seek + read across the 1 MiB block boundary, and cat_file(start, end).
    mib = 1024 * 1024
    with fs.open(base + "/dir/big.bin", "rb", block_size=64 * 1024) as f:
        f.seek(mib - 10)
        a = f.read(20)
        f.seek(2 * mib + 5)
        b = f.read(7)
    out["seek_read"] = a == pattern(20, mib - 10) and b == pattern(7, 2 * mib + 5)
    c = fs.cat_file(base + "/dir/big.bin", mib - 3, 2 * mib + 3)
    out["cat_range"] = {"len": len(c), "ok": c == pattern(mib + 6, mib - 3)}
    tail = fs.cat_file(base + "/dir/big.bin", -50)
    out["cat_tail"] = tail == pattern(50, sizes["big.bin"] - 50)

    # GETFILECHECKSUM: fsspec asks without following the redirect, then GETs the Location.
    out["ukey"] = {
        "small": fs.ukey(base + "/dir/small.bin"),
        "big": fs.ukey(base + "/dir/big.bin"),
    }
    fs.mv(base + "/dir/big.bin", base + "/moved.bin")
    out["mv"] = {
        "old_exists": fs.exists(base + "/dir/big.bin"),
        "new_exists": fs.exists(base + "/moved.bin"),
        "new_sha_ok": sha(fs.cat_file(base + "/moved.bin")) == sha(pattern(sizes["big.bin"])),
    }

    missing = base + "/no/such/file"
    out["errors"] = {
        "info_missing": error_of(lambda: fs.info(missing)),
        "cat_missing": error_of(lambda: fs.cat_file(missing)),
        "ls_missing": error_of(lambda: fs.ls(missing)),
        "exists_missing": fs.exists(missing),
        "chmod_bad": error_of(lambda: fs.chmod(base + "/dir", "999")),
    }
    intruder = WebHDFS(host, port=int(port), user=other, skip_instance_cache=True)
    out["errors"]["other_info"] = error_of(lambda: intruder.info(private_file))
    out["errors"]["other_cat"] = error_of(lambda: intruder.cat_file(private_file))
    out["errors"]["other_rm"] = error_of(lambda: intruder.rm(private_file))

    fs.rm(base + "/dir", recursive=True)
    out["rm"] = {"dir_exists": fs.exists(base + "/dir"), "base_ls": fs.ls(base)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
