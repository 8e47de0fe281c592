//! The online mediation room (在线调解室) of a case: text chat over a WebSocket and the signaling
//! for browser-to-browser video (WebRTC; the media never passes through the server, STUN/TURN
//! servers come from configuration). Only the case's people join: its mediator, the holder's
//! staff, invited consultants and coordinators (`authz::room_member`), and its parties through the
//! tracking page's grant. Joining, leaving and every chat message are events of the case;
//! signaling messages are relayed, not recorded.
//!
//! The room's membership lives in this process (`Rooms`); a deployment with several server
//! processes routes a case's room to one of them (sticky by case), which ADR 0012 records.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::ws::{Message, WebSocket};
use futures_util::{SinkExt, StreamExt};
use hejie_domain::case::{CaseId, Command, Meta};
use hejie_domain::mediation::RoomActivity;
use hejie_domain::personal::PhoneNumber;
use hejie_domain::user::User;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::mpsc;

use crate::cases;
use crate::error::AppError;
use crate::state::AppState;

/// Who is in a room.
#[derive(Debug, Clone)]
pub enum Who {
    Staff(User),
    Party { index: u32, phone: PhoneNumber },
}

/// One participant, as the others see them.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    pub id: u64,
    pub name: String,
    /// 调解员, 申请人, …
    pub label: String,
}

#[derive(Debug)]
struct Peer {
    info: PeerInfo,
    tx: mpsc::UnboundedSender<String>,
}

#[derive(Debug, Default)]
struct Room {
    peers: HashMap<u64, Peer>,
}

/// Every open room of this process.
#[derive(Debug, Default)]
pub struct Rooms {
    next: std::sync::atomic::AtomicU64,
    rooms: Mutex<HashMap<CaseId, Room>>,
}

impl Rooms {
    /// Adds a participant; returns their id and who was there before.
    fn join(
        &self,
        case: CaseId,
        name: String,
        label: String,
        tx: mpsc::UnboundedSender<String>,
    ) -> (u64, Vec<PeerInfo>) {
        let id = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        let room = rooms.entry(case).or_default();
        let before = room.peers.values().map(|p| p.info.clone()).collect();
        room.peers.insert(
            id,
            Peer {
                info: PeerInfo { id, name, label },
                tx,
            },
        );
        (id, before)
    }

    fn leave(&self, case: CaseId, id: u64) {
        let mut rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(room) = rooms.get_mut(&case) {
            room.peers.remove(&id);
            if room.peers.is_empty() {
                rooms.remove(&case);
            }
        }
    }

    /// Sends `msg` to everyone in the room but `except`.
    fn broadcast(&self, case: CaseId, except: Option<u64>, msg: &serde_json::Value) {
        let text = msg.to_string();
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(room) = rooms.get(&case) {
            for (id, p) in &room.peers {
                if Some(*id) != except {
                    let _ = p.tx.send(text.clone());
                }
            }
        }
    }

    /// Sends `msg` to one participant.
    fn send_to(&self, case: CaseId, to: u64, msg: &serde_json::Value) -> bool {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms
            .get(&case)
            .and_then(|r| r.peers.get(&to))
            .is_some_and(|p| p.tx.send(msg.to_string()).is_ok())
    }

    /// Who is in a case's room now.
    pub fn present(&self, case: CaseId) -> Vec<PeerInfo> {
        let rooms = self.rooms.lock().unwrap_or_else(|p| p.into_inner());
        rooms
            .get(&case)
            .map(|r| r.peers.values().map(|p| p.info.clone()).collect())
            .unwrap_or_default()
    }
}

/// What a browser sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMsg {
    Chat {
        text: String,
    },
    /// An SDP offer or answer, or an ICE candidate, for one other participant.
    Signal {
        to: u64,
        data: serde_json::Value,
    },
}

/// Checks that `who` may be in the case's room now (before the WebSocket is accepted).
pub async fn admit(state: &AppState, case_id: CaseId, who: &Who) -> Result<(), AppError> {
    let st = state.store.load(case_id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    if let Who::Staff(user) = who {
        hejie_domain::authz::authorize(
            user,
            hejie_domain::authz::Action::Command(hejie_domain::CommandName::UseRoom),
            Some(case),
        )?;
        if !hejie_domain::authz::room_member(user, case) {
            return Err(AppError::Forbidden {
                code: "not_a_participant",
                message: "只有本案的调解员、承办单位工作人员、受邀单位和当事人可以进入调解室"
                    .to_owned(),
            });
        }
    }
    if !hejie_domain::case::allowed_in(hejie_domain::CommandName::UseRoom, case.status) {
        return Err(AppError::Refused {
            code: "room_closed",
            message: "案件不在调解中，在线调解室未开放".to_owned(),
        });
    }
    Ok(())
}

/// Records one activity of `who` in the case's record, retrying when another participant's
/// event was appended first.
async fn record(
    state: &AppState,
    case_id: CaseId,
    who: &Who,
    activity: RoomActivity,
) -> Result<(), AppError> {
    let mut tries = 0;
    loop {
        tries += 1;
        let st = state.store.load(case_id).await?;
        let case = st.case().ok_or(AppError::NotFound)?;
        let (meta, party) = match who {
            Who::Staff(user) => (cases::meta_for(state, user), None),
            Who::Party { index, phone } => {
                let name = case
                    .parties
                    .get(*index as usize)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                (
                    Meta {
                        actor: cases::resident_actor(state, &name, phone),
                        at: state.now(),
                        division: case.location.division.clone(),
                    },
                    Some(*index),
                )
            }
        };
        let command = Command::UseRoom {
            activity: activity.clone(),
            party,
        };
        match cases::commit(state, &st, meta, command).await {
            Err(AppError::Conflict(_)) if tries < 5 => continue,
            other => return other.map(drop),
        }
    }
}

/// How a participant is shown: their name and what they are in the case.
async fn shown_as(
    state: &AppState,
    case_id: CaseId,
    who: &Who,
) -> Result<(String, String), AppError> {
    let st = state.store.load(case_id).await?;
    let case = st.case().ok_or(AppError::NotFound)?;
    Ok(match who {
        Who::Staff(user) => {
            let label = if case.mediator.as_ref().is_some_and(|m| m.id == user.id) {
                "调解员".to_owned()
            } else {
                user.role.label().to_owned()
            };
            (user.name.clone(), label)
        }
        Who::Party { index, .. } => {
            let p = case
                .parties
                .get(*index as usize)
                .ok_or(AppError::NotFound)?;
            (p.name.clone(), p.role.label().to_owned())
        }
    })
}

fn now_text(state: &AppState) -> String {
    crate::workflow::short_time(state.now())
}

/// Runs one participant's connection until it closes.
pub async fn run(state: AppState, socket: WebSocket, case_id: CaseId, who: Who) {
    let (mut sink, mut stream) = socket.split();
    let shown = shown_as(&state, case_id, &who).await;
    let joined = match shown {
        Ok(s) => record(&state, case_id, &who, RoomActivity::Joined)
            .await
            .map(|()| s),
        Err(e) => Err(e),
    };
    let (name, label) = match joined {
        Ok(s) => s,
        Err(e) => {
            let _ = sink
                .send(Message::Text(
                    json!({ "type": "error", "message": e.to_string() })
                        .to_string()
                        .into(),
                ))
                .await;
            let _ = sink.close().await;
            return;
        }
    };
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let (me, before) = state
        .rooms
        .join(case_id, name.clone(), label.clone(), tx.clone());
    let welcome = json!({
        "type": "welcome",
        "you": me,
        "name": name,
        "peers": before,
        "ice": state.config.ice_servers,
    });
    let _ = tx.send(welcome.to_string());
    state.rooms.broadcast(
        case_id,
        Some(me),
        &json!({ "type": "joined", "peer": { "id": me, "name": name, "label": label } }),
    );
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(msg)) = stream.next().await {
        let text = match msg {
            Message::Text(t) => t,
            Message::Close(_) => break,
            _ => continue,
        };
        match serde_json::from_str::<ClientMsg>(&text) {
            Ok(ClientMsg::Chat { text }) => {
                let said = text.trim().to_owned();
                match record(
                    &state,
                    case_id,
                    &who,
                    RoomActivity::Message { text: said.clone() },
                )
                .await
                {
                    Ok(()) => state.rooms.broadcast(
                        case_id,
                        None,
                        &json!({
                            "type": "chat", "from": me, "name": name, "label": label,
                            "text": said, "at": now_text(&state),
                        }),
                    ),
                    Err(e) => {
                        let _ = tx
                            .send(json!({ "type": "error", "message": e.to_string() }).to_string());
                    }
                }
            }
            Ok(ClientMsg::Signal { to, data }) => {
                state.rooms.send_to(
                    case_id,
                    to,
                    &json!({ "type": "signal", "from": me, "data": data }),
                );
            }
            Err(_) => {
                let _ =
                    tx.send(json!({ "type": "error", "message": "无法识别的消息" }).to_string());
            }
        }
    }
    state.rooms.leave(case_id, me);
    state
        .rooms
        .broadcast(case_id, None, &json!({ "type": "left", "peer": me }));
    drop(tx);
    let _ = writer.await;
    if let Err(e) = record(&state, case_id, &who, RoomActivity::Left).await {
        tracing::warn!(case = %case_id, error = %e, "recording a room departure");
    }
}
