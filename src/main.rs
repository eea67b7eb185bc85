fn main() {
    println!("tessera-app: the web app arrives with issue 4");
}
