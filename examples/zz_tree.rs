fn main() {
    let s = std::env::args().nth(1).unwrap();
    print!("{}", citecheck::extract::html5lib_tree(&s));
}
