// image store (see store.hpp).
