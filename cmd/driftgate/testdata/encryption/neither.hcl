encryption {
}
