//! Live frames, encoded once: the complete websocket frame (header and JSON text) is built a
//! single time per channel update and the same bytes go to every subscriber.
use crate::model::Channel;
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::Value;
use std::io::Write as _;

/// One server frame of the live protocol, ready for the wire.
#[derive(Debug)]
pub struct Frame {
    pub channel: Option<Channel>,
    /// The seq of the last change the frame includes (0 for frames outside a channel).
    pub seq: i64,
    /// The seq of the first change it includes: `seq` for a plain delta, lower for a merged
    /// one; a snapshot replaces everything (`from` = 1).
    pub from: i64,
    pub snapshot: bool,
    /// The websocket frame: header and payload.
    pub bytes: Bytes,
}

impl Frame {
    /// A `snapshot` or `delta` of a channel. The text is written in place, its keys in the
    /// order serde_json's map keeps them: a `json!` around `data` would first copy the whole
    /// payload, value by value, through serde.
    pub fn channel(channel: &Channel, snapshot: bool, from: i64, seq: i64, data: &Value) -> Frame {
        let kind = if snapshot { "snapshot" } else { "delta" };
        let mut text = Vec::with_capacity(256);
        text.extend_from_slice(b"{\"channel\":");
        json_into(&mut text, &channel.name());
        text.extend_from_slice(b",\"data\":");
        json_into(&mut text, data);
        // Writing into a Vec cannot fail.
        if !snapshot && from < seq {
            // A merged delta says which changes it covers.
            let _ = write!(text, ",\"from\":{from}");
        }
        let _ = write!(text, ",\"seq\":{seq},\"type\":\"{kind}\"}}");
        Frame {
            channel: Some(channel.clone()),
            seq,
            from: if snapshot { 1 } else { from },
            snapshot,
            bytes: text_frame(&text),
        }
    }

    /// A frame outside any channel (`error`, `heartbeat`, `revoked`).
    pub fn control(kind: &str, data: &Value) -> Frame {
        let text = serde_json::json!({ "type": kind, "channel": Value::Null, "seq": Value::Null, "data": data });
        Frame { channel: None, seq: 0, from: 0, snapshot: false, bytes: text_frame(text.to_string().as_bytes()) }
    }

    /// The JSON text of the frame (tests and tools).
    pub fn text(&self) -> &[u8] {
        &self.bytes[header_len(self.bytes.len())..]
    }
}

/// Appends `value`'s JSON text (a string or a `Value` cannot fail to serialize).
fn json_into(out: &mut Vec<u8>, value: &(impl serde::Serialize + ?Sized)) {
    let _ = serde_json::to_writer(out, value);
}

fn header_len(total: usize) -> usize {
    match total {
        n if n < 2 + 126 => 2,
        n if n < 4 + 65536 => 4,
        _ => 10,
    }
}

/// An unmasked, final websocket frame (server to client).
fn frame(opcode: u8, payload: &[u8]) -> Bytes {
    let len = payload.len();
    let mut buf = BytesMut::with_capacity(len + 10);
    buf.put_u8(0x80 | opcode);
    match len {
        0..=125 => buf.put_u8(len as u8),
        126..=65535 => {
            buf.put_u8(126);
            buf.put_u16(len as u16);
        }
        _ => {
            buf.put_u8(127);
            buf.put_u64(len as u64);
        }
    }
    buf.put_slice(payload);
    buf.freeze()
}

pub fn text_frame(payload: &[u8]) -> Bytes {
    frame(0x1, payload)
}

pub fn ping_frame() -> Bytes {
    frame(0x9, &[])
}

pub fn pong_frame(payload: &[u8]) -> Bytes {
    frame(0xA, &payload[..payload.len().min(125)])
}

/// A close frame with a status code (RFC 6455 §7.4) and a short reason.
pub fn close_frame(code: u16, reason: &str) -> Bytes {
    let mut payload = code.to_be_bytes().to_vec();
    payload.extend_from_slice(&reason.as_bytes()[..reason.len().min(120)]);
    frame(0x8, &payload)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_their_length_in_the_websocket_header() {
        for len in [0usize, 5, 125, 126, 300, 65535, 65536, 70000] {
            let payload = vec![b'x'; len];
            let bytes = text_frame(&payload);
            assert_eq!(bytes[0], 0x81);
            let (declared, header) = match bytes[1] {
                126 => (u16::from_be_bytes([bytes[2], bytes[3]]) as usize, 4),
                127 => (u64::from_be_bytes(bytes[2..10].try_into().unwrap()) as usize, 10),
                n => (n as usize, 2),
            };
            assert_eq!((declared, header_len(bytes.len())), (len, header));
            assert_eq!(bytes.len(), header + len);
        }
    }

    #[test]
    fn channel_frames_are_the_text_serde_json_writes() {
        let data = serde_json::json!({"rows": [{"i": 3, "raw": "71.25", "names": {"zh": "焊接"}}], "ranks": [3, 1]});
        for (snapshot, from, seq) in [(true, 1, 9), (false, 9, 9), (false, 4, 9)] {
            let channel = Channel::Skill("WELD \"A\"".into());
            let frame = Frame::channel(&channel, snapshot, from, seq, &data);
            let mut expected = serde_json::json!({
                "type": if snapshot { "snapshot" } else { "delta" }, "channel": channel.name(), "seq": seq, "data": data,
            });
            if !snapshot && from < seq {
                expected["from"] = from.into();
            }
            assert_eq!(frame.text(), expected.to_string().as_bytes());
        }
    }

    #[test]
    fn a_merged_delta_names_the_first_change_it_covers() {
        let frame = Frame::channel(&Channel::Progress, false, 4, 7, &serde_json::json!({}));
        let text: Value = serde_json::from_slice(frame.text()).unwrap();
        assert_eq!(text, serde_json::json!({"type": "delta", "channel": "progress", "seq": 7, "from": 4, "data": {}}));
        let plain = Frame::channel(&Channel::Progress, false, 7, 7, &serde_json::json!({}));
        assert!(serde_json::from_slice::<Value>(plain.text()).unwrap().get("from").is_none());
    }
}
