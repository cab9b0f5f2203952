//! A service that opens a TCP connection through `wasi:sockets`: outside
//! the platform's world, so the host refuses to load it. Test component,
//! never listed.
//!
//! It calls `wasi:sockets` directly rather than through `std::net`, whose
//! WASI support also imports `wasi:filesystem`: this way the sockets
//! interfaces are its only imports outside the world.

use officine_sdk::{Request, Response, Router, Service};

#[allow(missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        path: ["../../../wit", "wit"],
        world: "hostile:sockets/connect",
        generate_all,
    });
}

use bindings::wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
use bindings::wasi::sockets::{instance_network, tcp_create_socket};

struct Sockets;

impl Service for Sockets {
    fn handle(req: Request) -> Response {
        Router::new().get("/", connect).handle(req)
    }
}

officine_sdk::export!(Sockets);

fn connect(_req: Request) -> Response {
    let network = instance_network::instance_network();
    let socket = match tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4) {
        Ok(socket) => socket,
        Err(e) => return Response::text(format!("{e:?}")).with_status(502),
    };
    let loopback = IpSocketAddress::Ipv4(Ipv4SocketAddress {
        port: 9,
        address: (127, 0, 0, 1),
    });
    match socket.start_connect(&network, loopback) {
        Ok(()) => Response::text("connecting"),
        Err(e) => Response::text(format!("{e:?}")).with_status(502),
    }
}
