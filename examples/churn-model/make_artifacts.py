"""Build this example's generated files: a checkpoint carrying a malicious pickle, and a
.env file with a fake (format-valid, never real) token. Nothing here is ever loaded.

The pickle is written opcode by opcode: it would call os.system if anyone unpickled it,
which is exactly what `mlvet check --select ML4` catches without unpickling it.
"""

import random
import string
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def malicious_pickle() -> bytes:
    # PROTO 2; GLOBAL os.system; "echo pwned"; TUPLE1; REDUCE; STOP
    return b"\x80\x02cos\nsystem\nX\n\x00\x00\x00echo pwnedq\x00\x85R."


def main() -> None:
    models = HERE / "models"
    models.mkdir(exist_ok=True)
    with zipfile.ZipFile(models / "classifier.pt", "w") as zf:
        zf.writestr("classifier/data.pkl", malicious_pickle())
        zf.writestr("classifier/version", "3\n")
        zf.writestr("classifier/data/0", bytes(4096))
    rng = random.Random(7)
    fake = "hf_" + "".join(rng.choice(string.ascii_letters) for _ in range(34))
    (HERE / ".env").write_text(f"HF_TOKEN={fake}\n")
    print(f"wrote {models / 'classifier.pt'} and {HERE / '.env'}")


if __name__ == "__main__":
    main()
