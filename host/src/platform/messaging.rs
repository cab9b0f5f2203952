//! `officine:platform/messaging`.

use officine_policy::{Item, Op};

use super::{ATTEMPTS, Platform, check_text};
use crate::db::Reader;
use crate::db::messages as db;
use crate::model::now_millis;
use crate::runtime::bindings::messaging::{Host, Message};
use crate::runtime::bindings::types::{Error, Timestamp};

/// Largest message body a service may send.
pub const MAX_BODY: usize = 64 * 1024;

impl Host for Platform {
    async fn list(
        &mut self,
        since: Option<Timestamp>,
        limit: Option<u32>,
    ) -> Result<Vec<Message>, Error> {
        self.enter("messaging.list")?;
        let result = self.messaging_list(since, limit).await;
        self.audit_read("messaging.list", &result, |r| r.len() as u64);
        result
    }

    async fn send(&mut self, subject: String, body: String) -> Result<Message, Error> {
        self.enter("messaging.send")?;
        let result = self.messaging_send(subject, body).await;
        self.audit_change("messaging.send", &result);
        result
    }
}

impl Platform {
    async fn messaging_list(
        &mut self,
        since: Option<Timestamp>,
        limit: Option<u32>,
    ) -> Result<Vec<Message>, Error> {
        for _ in 0..ATTEMPTS {
            let guard = self.authorize("messaging.list", Op::Search, Item::Message, None)?;
            let from = self.window(Op::Search, Item::Message).unwrap_or(i64::MAX);
            let since = Some(since.map_or(from, |s| s.max(from)));
            let rows = db::list(
                &self.db,
                &self.patient,
                since,
                limit,
                Reader::Service(&guard),
            )
            .await
            .map_err(|e| self.unavailable("messaging.list", e))?;
            if rows.is_empty() && self.grant_changed("messaging.list").await? {
                continue;
            }
            return Ok(rows.into_iter().map(|m| self.message_to_wit(m)).collect());
        }
        Err(Error::Unavailable)
    }

    async fn messaging_send(&mut self, subject: String, body: String) -> Result<Message, Error> {
        self.authorize(
            "messaging.send",
            Op::Create,
            Item::Message,
            Some(now_millis()),
        )?;
        check_text("subject", &subject, 1, 200)?;
        if body.is_empty() {
            return Err(Error::Invalid("body is empty".to_owned()));
        }
        if body.len() > MAX_BODY {
            return Err(Error::Limit(format!(
                "body is {} bytes, over the {MAX_BODY} bytes a message may hold",
                body.len()
            )));
        }
        // Always a new thread to the patient: a service never writes into a
        // professional's exchange.
        let sender = self.service_name.clone();
        for _ in 0..ATTEMPTS {
            let now = Some(now_millis());
            let guard = self.authorize("messaging.send", Op::Create, Item::Message, now)?;
            let writer = self.writer(guard);
            let sent = db::add(
                &self.db,
                &self.patient,
                &writer,
                &sender,
                None,
                &subject,
                &body,
            )
            .await
            .map_err(|e| self.unavailable("messaging.send", e))?;
            match sent {
                Some(message) => return Ok(self.message_to_wit(message)),
                None => {
                    self.grant_changed("messaging.send").await?;
                }
            }
        }
        Err(Error::Unavailable)
    }
}

impl Platform {
    fn message_to_wit(&self, m: db::Message) -> Message {
        Message {
            mine: self.is_mine(m.written_by.as_deref()),
            id: m.id,
            thread: m.thread,
            origin: m.origin.into(),
            sender: m.sender,
            subject: m.subject,
            body: m.body,
            sent_at: m.sent_at,
            read: m.read,
        }
    }
}
