//! Sending SMS. Deployments plug in their gateway; the demo prints messages on the console.

/// Sends a text message to a mainland mobile number.
pub trait SmsSender: Send + Sync {
    fn send(&self, phone: &str, text: &str) -> Result<(), String>;
}

/// Prints messages on standard output (demo and development).
#[derive(Debug, Default)]
pub struct ConsoleSms;

impl SmsSender for ConsoleSms {
    fn send(&self, phone: &str, text: &str) -> Result<(), String> {
        println!("【短信】发送至 {phone}：{text}");
        Ok(())
    }
}

/// Keeps messages in memory, for tests that need to read the code a resident received.
#[derive(Debug, Default)]
pub struct MemorySms {
    sent: std::sync::Mutex<Vec<(String, String)>>,
}

impl MemorySms {
    pub fn last_to(&self, phone: &str) -> Option<String> {
        self.sent
            .lock()
            .ok()?
            .iter()
            .rev()
            .find(|(p, _)| p == phone)
            .map(|(_, t)| t.clone())
    }
}

impl SmsSender for MemorySms {
    fn send(&self, phone: &str, text: &str) -> Result<(), String> {
        self.sent
            .lock()
            .map_err(|_| "poisoned".to_owned())?
            .push((phone.to_owned(), text.to_owned()));
        Ok(())
    }
}
