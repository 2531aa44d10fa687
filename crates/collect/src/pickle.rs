//! A walker over Python pickle opcodes (protocols 0 to 5) that lists every global the stream would import,
//! without executing anything and without Python.
//!
//! Unpickling runs code through the callables a stream imports (`GLOBAL`, `INST`, `STACK_GLOBAL`) and then calls
//! (`REDUCE`, `NEWOBJ`, `OBJ`, `BUILD`). The walker keeps a small model of the unpickler's stack and memo, enough to
//! resolve `STACK_GLOBAL`'s module and name when they were pushed as strings (directly or through the memo), and
//! reports an import it cannot resolve as such instead of guessing.

use std::io::{BufRead, Read};

/// Longest string kept on the model stack (module and attribute names are short; longer strings are data).
const KEEP_STRING: usize = 512;
/// Most memo entries tracked.
const MAX_MEMO: usize = 1 << 20;
/// Longest protocol-0 text argument accepted (a line).
const MAX_LINE: usize = 1 << 16;
/// Deepest model stack tracked (a real model pickle stays far below).
const MAX_STACK: usize = 1 << 22;

/// One global the stream imports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Global {
    /// Byte offset of the opcode in the stream.
    pub offset: u64,
    /// `module` of `module.name`; `None` when it could not be resolved statically.
    pub module: Option<String>,
    /// The attribute name; `None` when it could not be resolved statically.
    pub name: Option<String>,
    /// The opcode that imported it (`GLOBAL`, `INST`, `STACK_GLOBAL`).
    pub opcode: &'static str,
    /// Whether the stream calls it (REDUCE, NEWOBJ, NEWOBJ_EX, OBJ, INST).
    pub called: bool,
}

/// What a walk over one pickle found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Walk {
    /// Every import, in stream order.
    pub globals: Vec<Global>,
    /// The highest protocol announced by a PROTO opcode (0 when none).
    pub protocol: u8,
    /// Opcodes seen.
    pub opcodes: u64,
    /// Bytes consumed, STOP included.
    pub length: u64,
    /// Other observations worth reporting (extension registry codes, persistent ids).
    pub notes: Vec<String>,
}

/// Why a stream could not be walked to its STOP opcode (a finding about the file, not an error of the scan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkError {
    pub offset: u64,
    pub reason: String,
}

impl std::fmt::Display for WalkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.reason)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Val {
    Str(String),
    Global(usize),
    Other,
}

struct Walker<'r> {
    input: &'r mut dyn BufRead,
    pos: u64,
    stack: Vec<Val>,
    marks: Vec<usize>,
    memo: std::collections::HashMap<u64, Val>,
    walk: Walk,
}

impl Walker<'_> {
    fn fail<T>(&self, at: u64, reason: impl Into<String>) -> Result<T, WalkError> {
        Err(WalkError {
            offset: at,
            reason: reason.into(),
        })
    }

    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], WalkError> {
        let mut b = [0u8; N];
        self.input
            .read_exact(&mut b)
            .or_else(|_| self.fail(self.pos, "the stream ends inside an opcode argument"))?;
        self.pos += N as u64;
        Ok(b)
    }

    fn u8(&mut self) -> Result<u64, WalkError> {
        Ok(u64::from(self.bytes::<1>()?[0]))
    }
    fn u16(&mut self) -> Result<u64, WalkError> {
        Ok(u64::from(u16::from_le_bytes(self.bytes()?)))
    }
    fn u32(&mut self) -> Result<u64, WalkError> {
        Ok(u64::from(u32::from_le_bytes(self.bytes()?)))
    }
    fn u64(&mut self) -> Result<u64, WalkError> {
        Ok(u64::from_le_bytes(self.bytes()?))
    }

    /// A length-prefixed argument: kept when short (it may be a module or name), skipped otherwise.
    fn data(&mut self, len: u64) -> Result<Option<Vec<u8>>, WalkError> {
        if len as usize <= KEEP_STRING {
            let mut v = vec![0u8; len as usize];
            self.input.read_exact(&mut v).or_else(|_| {
                self.fail(
                    self.pos,
                    format!("the stream ends inside a {len}-byte argument"),
                )
            })?;
            self.pos += len;
            Ok(Some(v))
        } else {
            let copied = std::io::copy(&mut self.input.take(len), &mut std::io::sink())
                .or_else(|e| self.fail(self.pos, format!("read error: {e}")))?;
            if copied != len {
                return self.fail(
                    self.pos,
                    format!("the stream ends inside a {len}-byte argument"),
                );
            }
            self.pos += len;
            Ok(None)
        }
    }

    fn line(&mut self) -> Result<String, WalkError> {
        let mut v = Vec::new();
        let n = (&mut self.input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut v)
            .or_else(|e| self.fail(self.pos, format!("read error: {e}")))?;
        if v.last() != Some(&b'\n') {
            return self.fail(self.pos, "a text argument is not terminated by a newline");
        }
        self.pos += n as u64;
        v.pop();
        if v.last() == Some(&b'\r') {
            v.pop();
        }
        Ok(String::from_utf8_lossy(&v).into_owned())
    }

    fn push(&mut self, v: Val) {
        self.stack.push(v);
    }

    fn pop(&mut self, at: u64, op: &str) -> Result<Val, WalkError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return self.fail(at, format!("{op} needs a value but the stack is empty"));
        }
        self.stack.pop().ok_or(WalkError {
            offset: at,
            reason: format!("{op} needs a value but the stack is empty"),
        })
    }

    fn pop_n(&mut self, n: usize, at: u64, op: &str) -> Result<Vec<Val>, WalkError> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.pop(at, op)?);
        }
        out.reverse();
        Ok(out)
    }

    fn pop_mark(&mut self, at: u64, op: &str) -> Result<Vec<Val>, WalkError> {
        let Some(mark) = self.marks.pop() else {
            return self.fail(at, format!("{op} needs a MARK but there is none"));
        };
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn top(&self, at: u64, op: &str) -> Result<Val, WalkError> {
        self.stack.last().cloned().ok_or(WalkError {
            offset: at,
            reason: format!("{op} needs a value but the stack is empty"),
        })
    }

    fn global(
        &mut self,
        at: u64,
        opcode: &'static str,
        module: Option<String>,
        name: Option<String>,
    ) -> Val {
        self.walk.globals.push(Global {
            offset: at,
            module,
            name,
            opcode,
            called: false,
        });
        Val::Global(self.walk.globals.len() - 1)
    }

    fn called(&mut self, v: &Val) {
        if let Val::Global(i) = v
            && let Some(g) = self.walk.globals.get_mut(*i)
        {
            g.called = true;
        }
    }

    fn memo_put(&mut self, at: u64, key: u64) -> Result<(), WalkError> {
        let v = self.top(at, "PUT")?;
        if self.memo.len() >= MAX_MEMO && !self.memo.contains_key(&key) {
            return self.fail(at, "more memo entries than this scanner tracks");
        }
        self.memo.insert(key, v);
        Ok(())
    }

    fn memo_get(&mut self, at: u64, key: u64) -> Result<(), WalkError> {
        match self.memo.get(&key).cloned() {
            Some(v) => {
                self.push(v);
                Ok(())
            }
            None => self.fail(
                at,
                format!("GET of memo entry {key}, which was never stored"),
            ),
        }
    }

    fn string(bytes: Option<Vec<u8>>) -> Val {
        match bytes.and_then(|b| String::from_utf8(b).ok()) {
            Some(s) => Val::Str(s),
            None => Val::Other,
        }
    }

    fn run(&mut self) -> Result<(), WalkError> {
        loop {
            let at = self.pos;
            if self.stack.len() > MAX_STACK {
                return self.fail(at, "the stack grows deeper than this scanner tracks");
            }
            let op = self
                .bytes::<1>()
                .or_else(|_| self.fail(at, "the stream ends before its STOP opcode"))?[0];
            self.walk.opcodes += 1;
            match op {
                b'.' => {
                    self.walk.length = self.pos;
                    return Ok(());
                }
                // Framing and protocol.
                0x80 => {
                    let p = self.u8()? as u8;
                    if p > 5 {
                        return self.fail(at, format!("unknown pickle protocol {p}"));
                    }
                    self.walk.protocol = self.walk.protocol.max(p);
                }
                0x95 => {
                    self.u64()?;
                }
                // Stack structure.
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop(at, "POP")?;
                }
                b'1' => {
                    self.pop_mark(at, "POP_MARK")?;
                }
                b'2' => {
                    let v = self.top(at, "DUP")?;
                    self.push(v);
                }
                // Literals.
                b'N' | 0x88 | 0x89 | b')' | b']' | b'}' | 0x8f => self.push(Val::Other),
                b'I' | b'L' | b'F' => {
                    self.line()?;
                    self.push(Val::Other);
                }
                b'J' => {
                    self.u32()?;
                    self.push(Val::Other);
                }
                b'K' => {
                    self.u8()?;
                    self.push(Val::Other);
                }
                b'M' => {
                    self.u16()?;
                    self.push(Val::Other);
                }
                b'G' => {
                    self.u64()?;
                    self.push(Val::Other);
                }
                0x8a => {
                    let n = self.u8()?;
                    self.data(n)?;
                    self.push(Val::Other);
                }
                0x8b => {
                    let n = self.u32()?;
                    self.data(n)?;
                    self.push(Val::Other);
                }
                b'S' => {
                    let l = self.line()?;
                    let s = l.trim_matches(|c| c == '\'' || c == '"').to_owned();
                    self.push(Val::Str(s));
                }
                b'V' => {
                    let l = self.line()?;
                    self.push(Val::Str(l));
                }
                b'T' | b'X' => {
                    let n = self.u32()?;
                    let d = self.data(n)?;
                    self.push(Self::string(d));
                }
                b'U' | 0x8c => {
                    let n = self.u8()?;
                    let d = self.data(n)?;
                    self.push(Self::string(d));
                }
                0x8d => {
                    let n = self.u64()?;
                    let d = self.data(n)?;
                    self.push(Self::string(d));
                }
                b'B' => {
                    let n = self.u32()?;
                    self.data(n)?;
                    self.push(Val::Other);
                }
                b'C' => {
                    let n = self.u8()?;
                    self.data(n)?;
                    self.push(Val::Other);
                }
                0x8e | 0x96 => {
                    let n = self.u64()?;
                    self.data(n)?;
                    self.push(Val::Other);
                }
                0x97 => self.push(Val::Other),
                0x98 => {
                    self.top(at, "READONLY_BUFFER")?;
                }
                // Containers.
                b'a' => {
                    self.pop(at, "APPEND")?;
                    self.top(at, "APPEND")?;
                }
                b'e' | 0x90 => {
                    self.pop_mark(at, "APPENDS")?;
                    self.top(at, "APPENDS")?;
                }
                b's' => {
                    self.pop_n(2, at, "SETITEM")?;
                    self.top(at, "SETITEM")?;
                }
                b'u' => {
                    self.pop_mark(at, "SETITEMS")?;
                    self.top(at, "SETITEMS")?;
                }
                b'l' | b't' | b'd' | 0x91 => {
                    self.pop_mark(at, "a container opcode")?;
                    self.push(Val::Other);
                }
                0x85..=0x87 => {
                    self.pop_n(usize::from(op - 0x84), at, "TUPLE")?;
                    self.push(Val::Other);
                }
                // Imports.
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    let g = self.global(at, "GLOBAL", Some(module), Some(name));
                    self.push(g);
                }
                b'i' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.pop_mark(at, "INST")?;
                    let g = self.global(at, "INST", Some(module), Some(name));
                    self.called(&g);
                    self.push(Val::Other);
                }
                0x93 => {
                    let parts = self.pop_n(2, at, "STACK_GLOBAL")?;
                    let text = |v: &Val| match v {
                        Val::Str(s) => Some(s.clone()),
                        _ => None,
                    };
                    let (module, name) = (text(&parts[0]), text(&parts[1]));
                    let g = self.global(at, "STACK_GLOBAL", module, name);
                    self.push(g);
                }
                // Calls.
                b'R' => {
                    let parts = self.pop_n(2, at, "REDUCE")?;
                    self.called(&parts[0]);
                    self.push(Val::Other);
                }
                0x81 => {
                    let parts = self.pop_n(2, at, "NEWOBJ")?;
                    self.called(&parts[0]);
                    self.push(Val::Other);
                }
                0x92 => {
                    let parts = self.pop_n(3, at, "NEWOBJ_EX")?;
                    self.called(&parts[0]);
                    self.push(Val::Other);
                }
                b'o' => {
                    let parts = self.pop_mark(at, "OBJ")?;
                    match parts.first() {
                        Some(cls) => self.called(cls),
                        None => return self.fail(at, "OBJ without a class"),
                    }
                    self.push(Val::Other);
                }
                b'b' => {
                    self.pop(at, "BUILD")?;
                    let obj = self.top(at, "BUILD")?;
                    // BUILD calls the object's __setstate__; on an imported callable that is a call too.
                    self.called(&obj);
                }
                // Memo.
                b'p' => {
                    let l = self.line()?;
                    let key = l
                        .trim()
                        .parse::<u64>()
                        .or_else(|_| self.fail(at, "PUT with a non-numeric key"))?;
                    self.memo_put(at, key)?;
                }
                b'q' => {
                    let k = self.u8()?;
                    self.memo_put(at, k)?;
                }
                b'r' => {
                    let k = self.u32()?;
                    self.memo_put(at, k)?;
                }
                0x94 => {
                    let k = self.memo.len() as u64;
                    self.memo_put(at, k)?;
                }
                b'g' => {
                    let l = self.line()?;
                    let key = l
                        .trim()
                        .parse::<u64>()
                        .or_else(|_| self.fail(at, "GET with a non-numeric key"))?;
                    self.memo_get(at, key)?;
                }
                b'h' => {
                    let k = self.u8()?;
                    self.memo_get(at, k)?;
                }
                b'j' => {
                    let k = self.u32()?;
                    self.memo_get(at, k)?;
                }
                // Persistent ids and the extension registry: resolved by the loading program, not the stream.
                b'P' => {
                    self.line()?;
                    self.push(Val::Other);
                }
                b'Q' => {
                    self.pop(at, "BINPERSID")?;
                    self.push(Val::Other);
                }
                0x82..=0x84 => {
                    let code = match op {
                        0x82 => self.u8()?,
                        0x83 => self.u16()?,
                        _ => self.u32()?,
                    };
                    self.walk
                        .notes
                        .push(format!("byte {at}: EXT opcode imports extension-registry entry {code}, which the loading program resolves"));
                    let g = self.global(at, "EXT", None, None);
                    self.push(g);
                }
                other => {
                    return self.fail(at, format!("byte 0x{other:02x} is not a pickle opcode"));
                }
            }
        }
    }
}

/// Walk one pickle from the reader's current position to its STOP opcode.
pub fn walk(input: &mut dyn BufRead, start: u64) -> Result<Walk, WalkError> {
    let mut w = Walker {
        input,
        pos: start,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: std::collections::HashMap::new(),
        walk: Walk::default(),
    };
    w.run()?;
    Ok(w.walk)
}

/// Walk every pickle of a stream written by consecutive `pickle.dump` calls (as legacy PyTorch files are) until
/// the end of the input. An empty input is an error.
pub fn walk_all(input: &mut dyn BufRead) -> Result<Vec<Walk>, WalkError> {
    let mut out = Vec::new();
    let mut pos = 0u64;
    loop {
        let more = input
            .fill_buf()
            .map(|b| !b.is_empty())
            .map_err(|e| WalkError {
                offset: pos,
                reason: format!("read error: {e}"),
            })?;
        if !more {
            break;
        }
        let w = walk(input, pos)?;
        pos = w.length;
        out.push(w);
    }
    if out.is_empty() {
        return Err(WalkError {
            offset: 0,
            reason: "the file is empty".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn run(bytes: &[u8]) -> Result<Walk, WalkError> {
        walk(&mut std::io::Cursor::new(bytes), 0)
    }

    #[test]
    fn stack_global_is_resolved_through_the_memo() {
        // PROTO 4, "os" MEMOIZE, "system" MEMOIZE, POP POP, BINGET 0, BINGET 1, STACK_GLOBAL, "x", TUPLE1, REDUCE, STOP
        let mut p = vec![0x80, 4, 0x8c, 2];
        p.extend_from_slice(b"os");
        p.extend_from_slice(&[0x94, 0x8c, 6]);
        p.extend_from_slice(b"system");
        p.extend_from_slice(&[
            0x94, b'0', b'0', b'h', 0, b'h', 1, 0x93, 0x8c, 1, b'x', 0x85, b'R', b'.',
        ]);
        let w = run(&p).expect("walks");
        assert_eq!(w.protocol, 4);
        assert_eq!(w.globals.len(), 1);
        let g = &w.globals[0];
        assert_eq!(
            (g.module.as_deref(), g.name.as_deref(), g.called),
            (Some("os"), Some("system"), true)
        );
    }

    #[test]
    fn computed_imports_are_reported_unresolved() {
        // A module name that is not a string literal (an int) cannot be resolved without running the stream.
        let p = [0x80, 4, b'K', 7, 0x8c, 1, b'n', 0x93, b'.'];
        let w = run(&p).expect("walks");
        assert_eq!(w.globals[0].module, None);
        assert_eq!(w.globals[0].name.as_deref(), Some("n"));
    }

    #[test]
    fn malformed_streams_name_the_byte() {
        let cases: [(&[u8], u64, &str); 4] = [
            (b"", 0, "ends before"),
            (b"\x80\x04\xff", 2, "not a pickle opcode"),
            (b"R.", 0, "stack is empty"),
            (b"\x80\x04\x8c\x05ab", 4, "ends inside"),
        ];
        for (bytes, offset, text) in cases {
            let e = run(bytes).expect_err("malformed");
            assert_eq!(e.offset, offset, "{bytes:?}: {e}");
            assert!(e.reason.contains(text), "{bytes:?}: {e}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = run(&bytes);
            let _ = walk_all(&mut std::io::Cursor::new(&bytes));
        }

        #[test]
        fn never_panics_after_a_valid_prefix(tail in prop::collection::vec(any::<u8>(), 0..256)) {
            let mut bytes = vec![0x80, 4, 0x95, 20, 0, 0, 0, 0, 0, 0, 0, b'(', b']', 0x8c, 2, b'o', b's'];
            bytes.extend(tail);
            let _ = run(&bytes);
        }
    }
}
