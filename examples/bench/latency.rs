//! A TCP proxy that holds every chunk for a fixed time in each direction:
//! servers on this machine made to answer like remote ones, so a fleet
//! run is measured where it waits on the network rather than on the two
//! cores every server shares here.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

/// Starts a proxy to 127.0.0.1:`target` adding `delay` each way; returns
/// its port. It runs until the process ends.
pub fn start(target: u16, delay: Duration) -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                continue;
            };
            let (Ok(client_out), Ok(server_out)) = (client.try_clone(), server.try_clone()) else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            thread::spawn(move || pump(client, server_out, delay));
            thread::spawn(move || pump(server, client_out, delay));
        }
    });
    Ok(port)
}

/// Copies `from` to `to`, each chunk `delay` late.
fn pump(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let mut buffer = vec![0; 64 * 1024];
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        thread::sleep(delay);
        if to.write_all(&buffer[..read]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}
